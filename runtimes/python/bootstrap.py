"""selfless Python runtime client: the script the platform starts for python3.x functions.

    python3 runtimes/python/bootstrap.py [handler]      (cwd = the function's code directory)

The runtime itself is _selfless_runtime.py next to this file (environment, exit codes and behaviour are
described there): as an imported module its bytecode is cached in __pycache__, where a script is compiled
again on every start. The `__main__` guard keeps multiprocessing's spawned children from running it.
"""

if __name__ == "__main__":
    import os
    import sys

    here = os.path.dirname(os.path.realpath(__file__))
    if not sys.path or os.path.realpath(sys.path[0] or os.curdir) != here:
        sys.path.insert(0, here)  # python -P / PYTHONSAFEPATH: no script directory on sys.path
    import _selfless_runtime

    _selfless_runtime.main()
