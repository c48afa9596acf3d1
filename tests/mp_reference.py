"""Independent mpmath references shared by the tests (no toolkit code involved)."""
import mpmath as mp


def path_laplacian_plus_ridge(n, mu):
    """mpmath matrix L + mu I for the path graph on n items (the plain-TI comparison graph)."""
    A = mp.matrix(n, n)
    for k in range(n - 1):
        A[k, k] += 1
        A[k + 1, k + 1] += 1
        A[k, k + 1] -= 1
        A[k + 1, k] -= 1
    for k in range(n):
        A[k, k] += mu
    return A
