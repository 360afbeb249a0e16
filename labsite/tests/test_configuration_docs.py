import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def test_every_setting_variable_documented():
    source = (BASE_DIR / "labsite" / "settings.py").read_text()
    docs = (BASE_DIR / "docs" / "configuration.md").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', source))
    read |= set(re.findall(r'"([A-Z_]+)" (?:not )?in env', source))
    read |= set(re.findall(r'_secret\(\s*"([A-Z_]+)"', source))

    missing = sorted(name for name in read if f"`{name}`" not in docs)

    assert {"SECRET_KEY", "JWT_SIGNING_KEY"} <= read
    assert len(read) > 20
    assert missing == []
