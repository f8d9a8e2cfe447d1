"""The loader for the YAML files the service reads at every start-up (rules, lexicons).

libyaml's safe loader when PyYAML was built with it (the wheels are): the same safe
constructors and resolver as `yaml.SafeLoader`, about ten times faster, and the worker and
each reading helper parse these files at start-up. Without libyaml, the Python loader.
"""

from __future__ import annotations

import yaml

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
