"""artguard: self-hosted AI security for art galleries and museums."""

__version__ = "0.1.0"
