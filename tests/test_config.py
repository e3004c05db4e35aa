"""`--config FILE`: documented fields, one clear line for anything else."""
import json

import pytest

from grader.grading.config import Config, ConfigError
from grader.grading.sandbox import Limits


def load(tmp_path, data):
    path = tmp_path / "points.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return Config.load(str(path))


def test_a_good_config_sets_points_and_sandbox_limits(tmp_path):
    config = load(tmp_path, {"points": {"demo": 3}, "limits": {"seconds": 30, "processes": 64}})
    assert config.points == {"demo": 3}
    assert config.sandbox_limits() == Limits(seconds=30.0, processes=64)


@pytest.mark.parametrize("data, words", [
    ({"point": {}}, "unknown key 'point'"),
    ({"limits": {"secs": 3}}, "unknown limit 'secs'"),
    ({"points": {"demo": "two"}}, "'demo' must be a number >= 0"),
    ({"points": {"demo": -1}}, "'demo' must be a number >= 0"),
    ({"points": []}, "'points' must be an object"),
    ([1, 2], "expected a JSON object"),
    ("{not json", "cannot read config"),
    ("[" * 100_000, "cannot read config"),
])
def test_a_bad_config_is_one_line_naming_the_problem(tmp_path, data, words):
    with pytest.raises(ConfigError) as e:
        load(tmp_path, data)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_a_changed_config_changes_the_digest():
    assert Config().digest() != Config(points={"demo": 3}).digest()
    assert Config().digest() == Config().digest()
