#!/usr/bin/env bash
# Refresh the message catalogue after changing a user-visible string or a code list:
# extract (babel.cfg), merge into both languages' .po files, compile the .mo files.
# Then translate any new entry in core/locale/*/LC_MESSAGES/messages.po (an empty
# msgstr) and run this again; tests/unit/test_catalogue.py fails until every entry
# has both languages and the .mo files match the .po files.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYBABEL="$ROOT/.venv/bin/pybabel"
LOCALES="core/locale"
POT="$(mktemp --suffix=.pot)"
trap 'rm -f "$POT"' EXIT

"$PYBABEL" extract -F babel.cfg --no-location --sort-output --width 100 --project corpgraph \
    --ignore-dirs ".* ._ node_modules vendor" -o "$POT" .
for locale in zh_CN en; do
    po="$LOCALES/$locale/LC_MESSAGES/messages.po"
    if [[ -f "$po" ]]; then
        "$PYBABEL" update -i "$POT" -d "$LOCALES" -l "$locale" --no-fuzzy-matching \
            --ignore-obsolete --ignore-pot-creation-date --width 100
    else
        "$PYBABEL" init -i "$POT" -d "$LOCALES" -l "$locale"
    fi
done
"$PYBABEL" compile -d "$LOCALES" --statistics
