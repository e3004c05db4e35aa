"""Grading settings from `--config FILE` (JSON), checked field by field.

  {"points": {"demo": 3, "from_scratch": 1}, "limits": {"seconds": 30, "memory_bytes": 1e9}}

points  check name -> points, overriding the drill's own (default 1 per check)
limits  fields of grader.grading.sandbox.Limits: seconds, memory_bytes, output_bytes,
        file_bytes, processes
"""
import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from grader.grading.sandbox.limits import Limits

LIMIT_FIELDS = {f.name for f in dataclasses.fields(Limits)}


class ConfigError(ValueError):
    """A config that cannot be used; the message is one line naming the problem."""


@dataclass
class Config:
    points: dict = field(default_factory=dict)
    limits: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data, where="config"):
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a JSON object with 'points' and/or 'limits'")
        unknown = sorted(set(data) - {"points", "limits"})
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: points, limits)")
        points, limits = data.get("points", {}), data.get("limits", {})
        for name, value in (("points", points), ("limits", limits)):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: '{name}' must be an object")
        bad = sorted(set(limits) - LIMIT_FIELDS)
        if bad:
            raise ConfigError(f"{where}: unknown limit {bad[0]!r} "
                              f"(known: {', '.join(sorted(LIMIT_FIELDS))})")
        for section in (points, limits):
            for k, v in section.items():
                if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                    raise ConfigError(f"{where}: {k!r} must be a number >= 0, got {v!r}")
        return cls(points=dict(points), limits=dict(limits))

    @classmethod
    def load(cls, path):
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError, RecursionError) as e:
            raise ConfigError(f"cannot read config {path}: {str(e).splitlines()[0]}") from None
        return cls.from_dict(data, f"config {path}")

    def sandbox_limits(self):
        values = {k: (int(v) if k != "seconds" else float(v)) for k, v in self.limits.items()}
        return Limits(**values)

    def digest(self):
        """A short hash of the settings, so a changed config regrades old results."""
        text = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]
