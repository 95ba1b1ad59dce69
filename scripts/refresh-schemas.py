#!/usr/bin/env python3
"""Brings the vendored Claude Code schemas (vendor/schemastore/) up to what
the pinned client (tests/claude-code/package.json) accepts.

SchemaStore's schemas lag the client by months. This script takes
SchemaStore's files (from a checkout given with --schemastore DIR, else the
vendored copies themselves) and adds what the pinned client's own
validation accepts beyond them, as listed below; each addition names the
client version it was read from. Run it when the pinned client moves, with
the additions checked against `claude plugin validate` and the client's
behaviour, then `PAII_UPDATE_SCHEMAS=1 cargo test --test schema`.

    scripts/refresh-schemas.py [--schemastore DIR]
"""
import argparse
import copy
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENDOR = ROOT / "vendor" / "schemastore"
CLIENT = "2.1.332"

# Hook events the client knows that SchemaStore does not list.
EVENTS = {
    "PreModelSwitch": "Hooks that run before the model is switched",
    "PostModelSwitch": "Hooks that run after the model is switched",
    "PreSkillShellCommand": "Hooks that run before a skill's or command's `!` shell line runs (matched against the shell tool, Bash or PowerShell; the skill's name is in `command_name`)",
}

ON_FAILURE = {
    "type": "string",
    "enum": ["continue", "block"],
    "description": "What happens when the hook itself fails (it cannot run, or times out): `continue` (the default) goes on, `block` blocks as exit 2 would",
}

# Keys of each hook type beyond SchemaStore's.
HOOK_KEYS = {
    "command": {
        "onFailure": ON_FAILURE,
        "once": {"type": "boolean", "description": "If true, the hook runs once per session and is then removed"},
        "holdsTools": {"type": "boolean", "description": "An async hook that holds the tools until it ends"},
        "rewakeMessage": {"type": "string", "minLength": 1, "description": "Prefix of the reminder shown to the model when an asyncRewake hook exits with code 2"},
        "rewakeSummary": {"type": "string", "minLength": 1, "description": "One-line summary shown to the user when an asyncRewake hook exits with code 2"},
    },
    "prompt": {"once": {"type": "boolean", "description": "If true, the hook runs once per session"}},
    "agent": {"once": {"type": "boolean", "description": "If true, the hook runs once per session"}},
    "http": {"onFailure": ON_FAILURE, "once": {"type": "boolean", "description": "If true, the hook runs once per session"}},
    "mcp_tool": {"onFailure": ON_FAILURE, "once": {"type": "boolean", "description": "If true, the hook runs once per session"}},
}

# plugin.json keys beyond SchemaStore's.
ENGINES = {
    "type": "object",
    "description": "The versions of Claude Code the plugin works with, as a semver range: {\"claude-code\": \">=2.1.0\"}; a client outside it does not load the plugin",
    "properties": {"claude-code": {"type": "string"}},
}
PLUGIN_KEYS = {
    "displayName": {"type": "string", "description": "The plugin's name as shown to people"},
    "defaultEnabled": {"type": "boolean", "description": "Whether the plugin starts enabled when the user has no enabled/disabled setting for it (default: true)"},
    "optionalDependencies": {
        "type": "array",
        "description": "Plugins installed and enabled with this one by default; one that cannot be installed is left out",
        "items": {"anyOf": [{"type": "string"}, {"type": "object"}]},
    },
    "metadata": {"type": "object", "description": "Free-form metadata for the author's own use; not read by Claude Code"},
    "engines": ENGINES,
    "network": {"description": "The network hosts the plugin reaches, as its author states them; shown only"},
    "workflows": {"description": "Workflow definitions"},
    "types": {"description": "Type definitions"},
    "binaries": {"description": "Executables the plugin ships"},
    "experimental": {"description": "Experimental fields"},
}

# marketplace.json keys beyond SchemaStore's: top level, and each entry.
MARKETPLACE_KEYS = {
    "renames": {
        "type": "object",
        "description": "Append-only map of an old plugin name to its current name, or null when it was removed",
        "additionalProperties": {"type": ["string", "null"]},
    },
    "forceRemoveDeletedPlugins": {"type": "boolean", "description": "Uninstall plugins that leave the marketplace"},
    "allowCrossMarketplaceDependenciesOn": {"type": "array", "items": {"type": "string"}, "description": "Marketplaces this one's plugins may depend on"},
}
ENTRY_KEYS = {
    "engines": ENGINES,
    "headers": {"type": "object", "additionalProperties": {"type": "string"}, "description": "HTTP headers sent when downloading an `archive` source"},
    "headersHelper": {"type": "string", "description": "Command printing a JSON object of HTTP headers for downloading an `archive` source"},
    "defaultEnabled": PLUGIN_KEYS["defaultEnabled"],
    "optionalDependencies": PLUGIN_KEYS["optionalDependencies"],
}


def note(schema: dict) -> dict:
    schema = copy.deepcopy(schema)
    schema["$comment"] = f"Claude Code {CLIENT} accepts this beyond SchemaStore's schema (scripts/refresh-schemas.py)"
    return schema


def add(props: dict, extra: dict) -> None:
    for key, schema in extra.items():
        props.setdefault(key, note(schema))


def settings(doc: dict) -> dict:
    hooks = doc["properties"]["hooks"]["properties"]
    template = next(iter(hooks.values()))
    for event, description in EVENTS.items():
        if event not in hooks:
            hooks[event] = dict(template, description=description)
    for alt in doc["$defs"]["hookCommand"]["anyOf"]:
        kind = alt["properties"]["type"].get("const")
        add(alt["properties"], HOOK_KEYS.get(kind, {}))
    return doc


def plugin_manifest(doc: dict) -> dict:
    add(doc["properties"], PLUGIN_KEYS)
    return doc


def marketplace(doc: dict) -> dict:
    add(doc["properties"], MARKETPLACE_KEYS)
    entries = doc["properties"]["plugins"]["items"]
    target = entries.get("properties")
    if target is None and "$ref" in entries:
        name = entries["$ref"].rsplit("/", 1)[-1]
        target = doc.get("$defs", doc.get("definitions", {}))[name]["properties"]
    add(target, ENTRY_KEYS)
    return doc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schemastore", type=pathlib.Path, help="a SchemaStore checkout (src/schemas/json/ inside it)")
    args = ap.parse_args()
    for name, update in [
        ("claude-code-settings", settings),
        ("claude-code-plugin-manifest", plugin_manifest),
        ("claude-code-marketplace", marketplace),
    ]:
        source = args.schemastore / "src" / "schemas" / "json" / f"{name}.json" if args.schemastore else VENDOR / f"{name}.schema.json"
        doc = update(json.loads(source.read_text()))
        (VENDOR / f"{name}.schema.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        print(f"refresh-schemas: {name}.schema.json")


if __name__ == "__main__":
    main()
