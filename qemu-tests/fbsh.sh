#!/usr/bin/env bash
# Drives fbsh through the serial console like a person would: boots the
# kernel with the initrd and "-- /bin/fbsh" (init runs the shell once and
# the kernel stops with its exit status), types commands into the serial
# receiver one at a time, and waits for each reply before the next.
# usage: fbsh.sh KERNEL INITRD LOG [SMP]      exit: 0 all replies seen
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
kernel=${1:?usage: fbsh.sh KERNEL INITRD LOG [SMP]}
initrd=${2:?usage: fbsh.sh KERNEL INITRD LOG [SMP]}
log=${3:?usage: fbsh.sh KERNEL INITRD LOG [SMP]}
smp=${4:-1}
work=$(mktemp -d)
runner_pid=""
cleanup() {
    [ -n "$runner_pid" ] && kill "$runner_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

mkfifo "$work/in"
: > "$log"
"$here/scripts/qemu-run.sh" --kernel "$kernel" --initrd "$initrd" --smp "$smp" \
    --append "loglevel=0 -- /bin/fbsh" --timeout 120 --log "$log" --input "$work/in" \
    2>"$work/runner" &
runner_pid=$!
exec 3>"$work/in"   # held open: QEMU sees no end of input between commands

# expect SECONDS REGEX: waits until the log matches REGEX.
expect() {
    local end=$((SECONDS + $1))
    while ! grep -qaE -- "$2" "$log"; do
        if [ $SECONDS -ge $end ] || ! kill -0 "$runner_pid" 2>/dev/null; then
            echo "fbsh: timed out waiting for /$2/; log tail:"
            tail -n 20 "$log" | sed 's/^/    | /'
            exit 1
        fi
        sleep 0.2
    done
}

# send LINE: types LINE and Enter (a serial terminal sends CR).
send() { printf '%s\r' "$1" >&3; }

# step COMMAND REGEX: runs COMMAND and waits for REGEX in its reply.
prompts=1
step() {
    send "$1"
    prompts=$((prompts + 1))
    expect 30 "$2"
    # The next prompt: the reply is complete before the next command.
    local end=$((SECONDS + 30))
    while [ "$(grep -aoE 'fbsh> ' "$log" | wc -l)" -lt "$prompts" ]; do
        [ $SECONDS -lt $end ] || { echo "fbsh: no prompt after '$1'"; exit 1; }
        sleep 0.2
    done
}

expect 60 'fbsh> '
step 'help' 'sched'
step 'echo hello   from "fb sh"' 'hello from fb sh'
step 'ls /' 'd [0-7]{4} .* bin'
step 'ls /bin' 'fbsh'
step 'cat /etc/motd' 'FeuerBird'
step 'cat /nonexistent' 'fbsh: .*FB_ENOENT'
step 'ps' '[0-9]+ +[0-9]+ running .* /bin/fbsh'
step 'caps' 'cpu +0 +rwxmsRcgdv'
step 'sched' 'policy rr, [0-9]+ cpus?'
step 'sched stride' 'policy stride'
step 'sched rr' 'policy rr'
step 'sched lottery' 'fbsh: .*FB_ENOENT'
step 'mem' 'this env +[0-9]+ pages owned'
step 'uptime' 'up [0-9]+:[0-9]{2}:[0-9]{2}'
step 'run hello world' 'env [0-9]+ exited with code 42'
step 'run fault ud' 'env [0-9]+ exited with code -1000'
step 'echo still here' 'still here'
step 'frobnicate' "fbsh: unknown command 'frobnicate'"
send 'exit 0'
wait "$runner_pid"
rc=$?
runner_pid=""
[ $rc -eq 0 ] || { echo "fbsh: kernel verdict rc $rc after exit 0"; cat "$work/runner"; exit 1; }
grep -qa 'FeuerBird: /init exited with code 0' "$log" || { echo "fbsh: no clean exit"; exit 1; }
echo "fbsh: every reply seen"
