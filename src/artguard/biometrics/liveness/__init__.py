"""Liveness: is a live person in front of the door camera, not a photo, a screen or a replay?

No passive model that ships in a package separates real faces from fakes reliably, so the
decision rests on :mod:`.challenge` (a random prompt answered by a movement within a time
limit, checked from face landmarks); :mod:`.passive` adds MiniFASNet scores as extra
evidence when the site has imported those weights (:mod:`.minifasnet`).
"""
