"""Learned visitor behaviour and watch flags.

Detection events -> per-camera observations (:mod:`observe`) -> visitors joined across track
breaks and cameras by floor position, time and clothing colours (:mod:`handoff`) -> each
visitor's behaviour (:mod:`behaviour`) compared with the learned normal of the room and time of
day (:mod:`model`) by the checks (:mod:`checks`) -> ``WatchFlag`` events (:mod:`analyser`),
stored (:mod:`store`). See docs/visitor-behaviour.md. No faces, no identities: a visitor is an
anonymous id that lives as long as they are on camera.
"""
