"""The digital twin: a simulated site going about its days, deterministic for a seed.

Visitors, staff, sensors and cameras are *behaviours* that schedule steps on one
:class:`~artguard.twin.world.World` timeline and emit the same typed events real devices send
(``SensorReading``, ``DoorState``, ``Detection`` with tracks in image pixels, ``CameraHealth``,
``ArtworkView``) plus badge requests that access control decides. Attack scenarios inject their
events on the same timeline and record their ground truth. The drill runner
(:mod:`artguard.drill`) feeds all of it through the real pipeline, faster than real time.
"""
