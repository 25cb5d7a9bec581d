"""Child processes that never outlive the test run, even when pytest itself is killed."""
import ctypes
import signal
import subprocess

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(args, preexec_fn=_die_with_parent, **kwargs)
