"""Compiled solver drivers that codegen appends to a generated kernel module.

A generalized-linear-model derivation (declared kind "glm": three order parameters playing the
roles m, q, V, named by the declaration's ``roles``, a ``prior`` kernel and one or more
``channel_<name>`` kernels) gets one ``iterate_<name>`` function per channel: the whole
Anderson-accelerated iteration of x <- prior(channel(x)) in numba. It lives in the generated module,
next to the kernels it calls as globals, so numba caches it on disk like the kernels (a driver
taking the kernels as arguments could not be cached and compiled anew in every process).
``mixing`` is the weight on the new iterate. This is solver code, not physics: the template is the
same for every model.
"""
from __future__ import annotations

GLM_ROLES = ("m", "q", "V")  # the template's names; x[{m}], x[{q}], x[{V}] in the code

ANDERSON_TEMPLATE = '''
@njit(cache=True, error_model='numpy')
def iterate_{suffix}(x0, p, mixing, tol, max_iter, q_max):
    """Anderson (memory 3) iteration of x <- prior({channel}(x)) on the (m, q, V) domain q > 0,
    V > 0, m^2 < q. Returns (x, iterations, residual, code): 0 converged, 1 max_iter, 2 left
    the domain or not finite, 3 q beyond q_max."""
    mem = 3
    n = 3
    X = np.zeros((mem + 1, n))
    G = np.zeros((mem + 1, n))
    hats = np.empty(n)
    tx = np.empty(n)
    x = x0.copy()
    k = 0
    res = np.inf
    for it in range(1, max_iter + 1):
        {channel}(x, p, hats)
        prior(hats, p, tx)
        res = 0.0
        for i in range(n):
            d = abs(tx[i] - x[i])
            if not np.isfinite(d):
                return x, it, np.inf, 2
            res = max(res, d)
        if res < tol:
            return x, it, res, 0
        g = tx - x
        if k == mem + 1:  # drop the oldest
            for j in range(mem):
                X[j] = X[j + 1]
                G[j] = G[j + 1]
            k = mem
        X[k] = x
        G[k] = g
        k += 1
        new = x + mixing * g
        if k > 1:
            dG = (G[1:k] - G[:k - 1]).T.copy()
            dX = (X[1:k] - X[:k - 1]).T.copy()
            gamma = np.linalg.lstsq(dG, g)[0]
            new = x + mixing * g - (dX + mixing * dG) @ gamma
        ok = np.all(np.isfinite(new)) and new[{q}] > 0 and new[{V}] > 0 and new[{m}] ** 2 < new[{q}]
        if not ok:
            k = 0
            step = mixing
            new = x + step * g
            while not (new[{q}] > 0 and new[{V}] > 0 and new[{m}] ** 2 < new[{q}]) and step > 1e-12:
                step *= 0.5
                new = x + step * g
            if step <= 1e-12:
                return x, it, res, 2
        if new[{q}] > q_max:
            return new, it, res, 3
        x = new
    return x, max_iter, res, 1
'''


def glm_drivers(kind, order_parameters, kernel_names, roles=()) -> list[str]:
    """Source of the drivers for a derivation of the declared ``kind``, or [] unless it is "glm"
    (with a ``prior`` kernel). ``roles``: the order parameters playing m, q, V."""
    if kind != "glm" or "prior" not in kernel_names:
        return []
    order = list(order_parameters)
    if len(order) != len(GLM_ROLES) or sorted(roles) != sorted(order):
        raise ValueError(f"kind 'glm': roles {tuple(roles)} must name the order parameters "
                         f"{tuple(order)}, one for each of {GLM_ROLES}")
    index = {role: order.index(name) for role, name in zip(GLM_ROLES, roles)}
    return [ANDERSON_TEMPLATE.format(suffix=k[len("channel_"):], channel=k, **index)
            for k in kernel_names if k.startswith("channel_")]
