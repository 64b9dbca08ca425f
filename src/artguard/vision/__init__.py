"""Video analytics on existing CCTV: detection, tracking, and the rules that watch tracks."""
