"""Red-team drills: the digital twin run through the real pipeline, scored against its truth."""
