"""nlme's ``modelStruct`` components beyond the random effects: variance
functions (``varFunc``) and correlation structures (``corStruct``).

:mod:`hlm_py.structs.base` holds the interfaces the fits use;
:mod:`hlm_py.structs.varfunc` and :mod:`hlm_py.structs.corstruct` the classes.
"""
