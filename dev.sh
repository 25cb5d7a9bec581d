#!/usr/bin/env bash
# One entry point for a newcomer: `./dev.sh run` or `./dev.sh test` (see README.md).
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY=${PYTHON:-python3}

setup() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PY" -m venv "$VENV"
    fi
    # Reinstall only when the dependency list changed.
    local stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
        rm -f "$VENV"/.installed-*
        touch "$stamp"
    fi
    # Browser assets (API docs, later bpmn-js and form-js) come from the npm registry, pinned by the lock file.
    local npm_stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
    if [ ! -f "$npm_stamp" ]; then
        npm ci --no-audit --no-fund --loglevel=error
        touch "$npm_stamp"
    fi
}

case "${1:-}" in
    run)
        setup
        "$VENV/bin/greenlist" validate
        "$VENV/bin/greenlist" seed-demo
        "$VENV/bin/greenlist" deploy --note "本地启动时部署 processes/ 与 forms/"
        echo "服务地址：http://${HOST:-127.0.0.1}:${PORT:-5000}/  （另开终端运行 .venv/bin/greenlist worker 处理定时器）"
        exec "$VENV/bin/greenlist" serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
        ;;
    test)
        setup
        shift
        "$VENV/bin/greenlist" validate
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: ./dev.sh run | ./dev.sh test [pytest args]" >&2
        exit 2
        ;;
esac
