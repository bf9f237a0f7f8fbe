# Stand-in for the get-pip.py bootstrap script that ansible-test downloads from a host this
# machine cannot reach. ansible-test runs it inside a fresh virtual environment with pip's
# install options and the packages to install as arguments, exactly as it would run
# get-pip.py: here pip comes from the interpreter's own bundled wheel (ensurepip), then the
# requested packages are installed from the package index this machine is configured for.
import subprocess
import sys

# get-pip.py's own flags (not pip's): what not to install besides pip.
GET_PIP_FLAGS = ("--no-setuptools", "--no-wheel")

# ensurepip runs in its own process: in-process it sets PIP_CONFIG_FILE=/dev/null, which
# would hide the machine's pip configuration (index, CA bundle) from the install below.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_FLAGS]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade"] + args))
