"""A short tour of serpens (replaced by the example orders service)."""

from serpens import __version__, ports

print(f"serpens {__version__}")
print("ports:", ", ".join(ports.__all__))
