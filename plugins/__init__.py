"""Huika's built-in plugins. Each is registered through the ``huika.plugins`` entry-point
group exactly as a third-party plugin would be, and imports no other plugin."""
