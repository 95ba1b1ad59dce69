"""plugin.toml, pyproject.toml, the code, the MCP server's entry and the
vendored files agree.

Identical in pagerduty, slack, jira and github; what differs is in
``EXPECTED``.
"""

from __future__ import annotations

import importlib
import json
import re

import pytest
from conftest import PACKAGE, ROOT, SRC

tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")

INTEGRATIONS = ("pagerduty", "slack", "jira", "github")

#: plugin -> (actions, the [secrets] optional list, config keys and defaults,
#: the .mcp.json server name).
EXPECTED = {
    "pagerduty": (
        ["trigger", "acknowledge", "resolve"],
        ["PAGERDUTY_ROUTING_KEY", "PAGERDUTY_API_KEY", "PAGERDUTY_USER_API_KEY"],
        {
            "url": "https://mcp.pagerduty.com/mcp",
            "events_url": "https://events.pagerduty.com",
            "api_url": "https://api.pagerduty.com",
            "from_email": "",
            "service_id": "",
            "timeout_seconds": 30,
        },
        "pagerduty",
    ),
    "slack": (["post"], ["SLACK_BOT_TOKEN"], {"api_url": "https://slack.com/api", "channel": "", "timeout_seconds": 30}, "slack"),
    "jira": (["create", "comment"], ["JIRA_API_TOKEN", "JIRA_EMAIL"], {"site": "", "email": "", "project": "", "timeout_seconds": 30}, "atlassian"),
    "github": (
        ["create-issue", "comment"],
        ["GITHUB_TOKEN", "GITHUB_PERSONAL_ACCESS_TOKEN"],
        {"api_url": "https://api.github.com", "repo": "", "timeout_seconds": 30},
        "github",
    ),
}


@pytest.fixture(scope="module")
def plugin():
    return tomllib.loads((ROOT / "plugin.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_plugin_toml(plugin, project):
    actions, secrets, config, _ = EXPECTED[PACKAGE]
    module = importlib.import_module(PACKAGE)
    assert plugin["plugin"]["name"] == PACKAGE
    assert plugin["plugin"]["version"] == project["project"]["version"] == module.VERSION
    assert plugin["plugin"]["language"] == "python"
    assert plugin["provides"] == {PACKAGE: {"contract": "IntegrationProvider", "service": PACKAGE}}
    assert plugin["build"] == {"type": "uv"}
    assert plugin["run"]["command"] == [PACKAGE]
    assert plugin["run"]["actions"] == actions == list(module.ACTIONS)
    assert "hooks" not in plugin
    assert plugin["secrets"] == {"optional": secrets}, "optional: an install without keys must still work (the MCP server)"
    assert {k: v["default"] for k, v in plugin["config"].items()} == config
    for key, entry in plugin["config"].items():
        assert entry["type"] == ("integer" if isinstance(entry["default"], int) else "string"), key
        assert entry.get("description"), key


def test_defaults_in_the_code_are_plugin_tomls(plugin):
    module = importlib.import_module(PACKAGE)
    for key, entry in plugin["config"].items():
        const = "DEFAULT_" + key.upper()
        if hasattr(module, const):
            assert getattr(module, const) == entry["default"], key


def test_pyproject(project):
    assert project["project"]["name"] == PACKAGE
    assert project["project"]["dependencies"] == [], "standard library only"
    assert project["project"]["scripts"] == {PACKAGE: "%s:main" % PACKAGE}
    assert project["build-system"] == {"requires": ["uv_build==0.13.6"], "build-backend": "uv_build"}
    assert (ROOT / "uv.lock").is_file()


def test_the_mcp_server_is_kept(plugin):
    server = EXPECTED[PACKAGE][3]
    mcp = json.loads((ROOT / ".mcp.json").read_text(encoding="utf-8"))
    entry = mcp["mcpServers"][server]
    assert entry["type"] == "http"
    declared = set(plugin["secrets"]["optional"])
    for var in re.findall(r"\$\{([A-Z0-9_]+)\}", json.dumps(entry)):
        assert var in declared, "the MCP server's %s must be a declared secret" % var


def test_the_sdk_is_a_byte_for_byte_copy():
    upstream = ROOT.parent.parent / "sdk" / "python" / "paii_plugin.py"
    if not upstream.is_file():
        pytest.skip("no sdk/python/paii_plugin.py (not inside the paii repository)")
    assert (SRC / PACKAGE / "paii_plugin.py").read_bytes() == upstream.read_bytes(), "copy sdk/python/paii_plugin.py again"


@pytest.mark.parametrize("name", ["client.py", "../../tests/conftest.py", "../../tests/test_manifest.py"])
def test_shared_files_are_the_same_in_every_integration(name):
    mine = (SRC / PACKAGE / name).resolve()
    for other in INTEGRATIONS:
        theirs = (ROOT.parent / other / "src" / other / name).resolve()
        if other != PACKAGE and theirs.is_file():
            assert mine.read_bytes() == theirs.read_bytes(), "%s differs from %s's: change all four together" % (name, other)
