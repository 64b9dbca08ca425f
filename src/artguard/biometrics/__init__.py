"""Biometric step-up at doors: face verification, liveness and encrypted face templates.

* :mod:`.models` finds and loads the dlib models (detector, landmarks, ResNet descriptor).
* :mod:`.faces` finds the face in an image and its 68 landmarks.
* :mod:`.verify` turns a face into a 128-D descriptor and compares two.
* :mod:`.liveness` checks that a live person is in front of the camera: an active
  challenge-response (:mod:`.liveness.challenge`) and passive MiniFASNet scores
  (:mod:`.liveness.passive`, from weights the site imports).
* :mod:`.templates` keeps enrolled descriptors encrypted at rest with a consent record, and
  erases them on request.
* :mod:`.stepup` puts them together for a door: enrolled person, live, answering the prompt.
"""
