"""How a build runs: ``local`` (index/build.py, in this process) or ``ray`` (Ray Data stages, index/engines/ray_build.py).

Both publish the same build folder through index/store/.
"""
