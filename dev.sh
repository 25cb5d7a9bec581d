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
        # Two install scripts phone home (@ibm/telemetry-js via form-js, @scarf/scarf via swagger-ui): opt out.
        IBM_TELEMETRY_DISABLED=true SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error
        touch "$npm_stamp"
    fi
}

# The browser tests drive Debian's Chromium (test tools may not download browsers); Chinese needs CJK fonts;
# `greenlist bench-instructions` counts instructions with valgrind's callgrind.
test_tools() {
    if command -v chromium >/dev/null && fc-list 2>/dev/null | grep -q "CJK" && command -v valgrind >/dev/null; then
        return
    fi
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    if ! command -v apt-get >/dev/null; then
        echo "测试需要 Chromium、中文字体与 valgrind：请安装 chromium、fonts-noto-cjk 与 valgrind" >&2
        exit 1
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk valgrind >/dev/null
}

# The key that signs login cookies, made once per checkout into instance/ (git-ignored, readable by the owner
# only). The service refuses to serve without a real one; this keeps `./dev.sh run` one command.
dev_secret_key() {
    local file=instance/secret_key
    if [ ! -s "$file" ]; then
        mkdir -p instance
        (umask 077 && "$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(32))' > "$file")
    fi
    cat "$file"
}

case "${1:-}" in
    run)
        setup
        SECRET_KEY=${SECRET_KEY:-$(dev_secret_key)}
        export SECRET_KEY
        "$VENV/bin/greenlist" validate
        "$VENV/bin/greenlist" seed-demo
        "$VENV/bin/greenlist" deploy --note "本地启动时部署 processes/ 与 forms/"
        # The worker fires timers (city deadline, end of public notice) and sends notifications.
        "$VENV/bin/greenlist" worker --interval 10 &
        worker=$!
        trap 'kill "$worker" 2>/dev/null' EXIT
        echo "服务地址：http://${HOST:-127.0.0.1}:${PORT:-5000}/  （演示账号密码均为 demo；定时任务已在后台运行）"
        # Plain http on this machine: the login cookie cannot be HTTPS-only here (production keeps it so).
        GREENLIST_SECURE_COOKIES=${GREENLIST_SECURE_COOKIES:-false} "$VENV/bin/greenlist" serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
        ;;
    test)
        setup
        test_tools
        shift
        "$VENV/bin/greenlist" validate
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: ./dev.sh run | ./dev.sh test [pytest args]" >&2
        exit 2
        ;;
esac
