"""The code keys for a command: from the key setting when given, else from the key file."""

from jointinspect.cli.settings import Settings
from jointinspect.data.codes.keys import KeyRing, load_key_file, parse_keys


def load_keys(settings: Settings) -> KeyRing:
    if settings.key is not None:
        return parse_keys(settings.key.get_secret_value(), origin="JOINTINSPECT_KEY")
    return load_key_file(settings.key_file)
