"""Cases ported from peers' public test suites, and the independent references for them.

Every function below is a *case input*: a translation to Python/numpy of a function that
a peer project tests its automatic differentiation on (the origin is named beside each).
Each is written once, against a small namespace ``m`` of elementary functions:

* ``m = np`` runs it on dualdiff numbers the way a user's numpy code would
  (``np.sin(dual)``, ``np.sum(dual, axis=1)``, ``A @ dual`` ...);
* ``m = MP`` runs it on object arrays of ``mpmath.mpf`` at 60 significant digits.

The references never come from dualdiff: derivatives are central differences taken in
mpmath at high precision (:func:`mp_jacobian`, :func:`mp_hessian`, error far below 1e-20),
``mpmath.diff``/``mpmath.taylor`` for scalar functions, or a closed form written beside
the case.  Julia indexes from 1 and in column-major order; the translations index from 0
and say where the layout matters.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np

DPS = 60  # working precision of every reference


# ---------------------------------------------------------------------------
# The mpmath namespace: the same spelling as numpy, elementwise on object arrays
# ---------------------------------------------------------------------------
def _elementwise(f):
    def g(x, *rest):
        if isinstance(x, np.ndarray):
            out = np.empty(x.shape, dtype=object)
            for i, v in np.ndenumerate(x):
                out[i] = f(v, *rest)
            return out
        return f(x, *rest)
    return g


def _mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


def _mp_det(a):
    return mpmath.det(mpmath.matrix(a.tolist()))


def _mp_inv(a):
    inv = mpmath.inverse(mpmath.matrix(a.tolist()))
    return np.array(inv.tolist(), dtype=object)


def _mp_solve(a, b):
    A = mpmath.matrix(a.tolist())
    b = np.asarray(b, dtype=object)
    if b.ndim == 1:
        return np.array(list(mpmath.lu_solve(A, mpmath.matrix(b.tolist()))), dtype=object)
    cols = [list(mpmath.lu_solve(A, mpmath.matrix(b[:, j].tolist()))) for j in range(b.shape[1])]
    return np.array(cols, dtype=object).T


def _mp_norm(x):
    x = np.asarray(x, dtype=object)
    return mpmath.sqrt(sum(v * v for v in x.ravel()))


class MP:
    """numpy-like namespace over mpmath numbers (object arrays)."""
    sin = staticmethod(_elementwise(mpmath.sin))
    cos = staticmethod(_elementwise(mpmath.cos))
    tan = staticmethod(_elementwise(mpmath.tan))
    exp = staticmethod(_elementwise(mpmath.exp))
    log = staticmethod(_elementwise(mpmath.log))
    sqrt = staticmethod(_elementwise(mpmath.sqrt))
    abs = staticmethod(_elementwise(abs))
    tanh = staticmethod(_elementwise(mpmath.tanh))
    sigmoid = staticmethod(_elementwise(_mp_sigmoid))
    det = staticmethod(_mp_det)
    inv = staticmethod(_mp_inv)
    solve = staticmethod(_mp_solve)
    norm = staticmethod(_mp_norm)
    pi = mpmath.pi
    e = mpmath.e


class NP:
    """The same namespace for dualdiff: plain numpy, as a user writes it."""
    sin, cos, tan, exp, log, sqrt, abs, tanh = np.sin, np.cos, np.tan, np.exp, np.log, np.sqrt, np.abs, np.tanh
    det = staticmethod(np.linalg.det)
    inv = staticmethod(np.linalg.inv)
    solve = staticmethod(np.linalg.solve)
    norm = staticmethod(np.linalg.norm)
    pi = math.pi
    e = math.e

    @staticmethod
    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))


def mpf_array(x) -> np.ndarray:
    """A float array as an object array of mpf (exact conversion of each double)."""
    x = np.asarray(x, dtype=float)
    out = np.empty(x.shape, dtype=object)
    for i, v in np.ndenumerate(x):
        out[i] = mpmath.mpf(float(v))
    return out


def to_float(a) -> np.ndarray | float:
    if isinstance(a, np.ndarray):
        return np.array([float(v) for v in a.ravel()], dtype=float).reshape(a.shape)
    return float(a)


# ---------------------------------------------------------------------------
# References: central differences in mpmath (step 1e-20 at 60 digits: the truncation
# error h²·f'''/6 is ~1e-40, the rounding error 1e-60/1e-20 = 1e-40)
# ---------------------------------------------------------------------------
def _eval(f, x, m=MP):
    return np.asarray(f(x, m), dtype=object)


def mp_value(f, x):
    with mpmath.workdps(DPS):
        return to_float(np.asarray(f(mpf_array(x), MP), dtype=object))


def mp_jacobian(f, x) -> np.ndarray:
    """J[out..., in...] of f at x, by central differences at 60 digits."""
    x = np.asarray(x, dtype=float)
    with mpmath.workdps(DPS):
        h = mpmath.mpf("1e-20")
        base = mpf_array(x)
        cols = []
        for idx in np.ndindex(x.shape):
            up, dn = base.copy(), base.copy()
            up[idx] += h
            dn[idx] -= h
            cols.append(np.asarray((_eval(f, up) - _eval(f, dn)) / (2 * h), dtype=object))
        out_shape = cols[0].shape
        J = np.empty(out_shape + x.shape, dtype=object)
        for k, idx in enumerate(np.ndindex(x.shape)):
            J[(Ellipsis,) + idx] = cols[k]
        return to_float(J)


def mp_gradient(f, x) -> np.ndarray:
    return mp_jacobian(f, x)


def mp_hessian(f, x) -> np.ndarray:
    """H[i..., j...] of scalar f at x: second central differences at 60 digits (h = 1e-12:
    truncation ~1e-24, rounding 1e-60/1e-24)."""
    x = np.asarray(x, dtype=float)
    with mpmath.workdps(DPS):
        h = mpmath.mpf("1e-12")
        base = mpf_array(x)
        idxs = list(np.ndindex(x.shape))
        n = len(idxs)
        H = np.empty((n, n), dtype=object)

        def at(shifts):
            p = base.copy()
            for i, s in shifts:
                p[i] += s
            return f(p, MP)

        f0 = f(base, MP)
        for a in range(n):
            i = idxs[a]
            H[a, a] = (at([(i, h)]) - 2 * f0 + at([(i, -h)])) / (h * h)
            for b in range(a + 1, n):
                j = idxs[b]
                v = (at([(i, h), (j, h)]) - at([(i, h), (j, -h)]) - at([(i, -h), (j, h)])
                     + at([(i, -h), (j, -h)])) / (4 * h * h)
                H[a, b] = H[b, a] = v
        return to_float(H).reshape(x.shape + x.shape)


def mp_derivatives(f_mp, x: float, n: int) -> list[float]:
    """[f(x), f'(x), ..., f^(n)(x)] of a scalar mpmath function, by mpmath.diff at 60 digits."""
    with mpmath.workdps(DPS):
        return [float(mpmath.diff(f_mp, mpmath.mpf(x), k)) for k in range(n + 1)]


def mp_taylor(f_mp, x: float, n: int) -> list[float]:
    """Taylor coefficients [f, f', f''/2!, ...] by mpmath.taylor at 60 digits."""
    with mpmath.workdps(DPS):
        return [float(c) for c in mpmath.taylor(f_mp, mpmath.mpf(x), n)]


def close(got, ref, rtol=1e-10, atol_scale=1e-10) -> None:
    """assert_allclose with an absolute floor relative to the reference's size (entries
    that are exactly 0 in the reference come out as ±1e-17 from float arithmetic)."""
    got = np.asarray(got, dtype=float)
    ref = np.asarray(ref, dtype=float)
    assert got.shape == ref.shape, f"shape {got.shape} != reference shape {ref.shape}"
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol_scale * max(scale, 1.0))


# ---------------------------------------------------------------------------
# Inputs.  ForwardDiff uses X = rand(13), Y = rand(7) (DEFAULT_CHUNK_THRESHOLD + 1 and
# div(..., 2) + 1); these are fixed draws in (0, 1), written out so that the cases do not
# depend on a random generator.
# ---------------------------------------------------------------------------
X = np.array([0.5118216247002567, 0.9504636963259353, 0.14415961271963373, 0.9486494471372439,
              0.31183145201048545, 0.42332644897257565, 0.8277025938204418, 0.4091991363691613,
              0.5495936876730595, 0.027559113243068367, 0.7535131086748066, 0.5381433132192782,
              0.32973171649909216])
Y = np.array([0.7884287034284043, 0.30319482783370985, 0.4533063264489493, 0.1340901258613702,
              0.40311298733710286, 0.20345524067614962, 0.26231334652831285])
X2 = np.array([0.3, 1.7, -0.4, 0.9, 1.1])          # a second point, with a negative entry
M3 = np.array([[1.3, 0.2, -0.5], [0.4, 0.9, 0.3], [-0.2, 0.6, 1.6]])   # square, well conditioned
P3 = np.array([[0.7, 1.2, 0.9], [1.4, 0.6, 1.1], [0.8, 1.3, 0.5]])     # positive (for a ** b)


# ---------------------------------------------------------------------------
# DiffTests.jl (src/DiffTests.jl): NUMBER_TO_NUMBER_FUNCS
# ---------------------------------------------------------------------------
def num2num_1(x, m=NP):
    return m.sin(x) ** 2 / m.cos(x) ** 2


def num2num_2(x, m=NP):
    return 2 * x + m.sqrt(x * x * x)


def num2num_3(x, m=NP):
    return 10.31 ** (x + x) - x


def num2num_4(x, m=NP):
    return 1


def num2num_5(x, m=NP):
    return 1. / (1. + m.exp(-x))


def identity(x, m=NP):
    return x


NUMBER_TO_NUMBER = {f.__name__: f for f in (num2num_1, num2num_2, num2num_3, num2num_4, num2num_5, identity)}


# NUMBER_TO_ARRAY_FUNCS: Julia's reshape(..., 2, 2, 2) fills in column-major order.
def num2arr_1(x, m=NP):
    return np.reshape(np.array([num2num_1(x, m), num2num_2(x, m), num2num_3(x, m),
                                num2num_1(x, m) - num2num_2(x, m), num2num_2(x, m),
                                num2num_3(x, m), num2num_2(x, m), num2num_3(x, m)]), (2, 2, 2), order="F")


# INPLACE_NUMBER_TO_ARRAY_FUNCS: num2arr_1!(y, x) on a 3×2 y, linear (column-major) indexing.
def num2arr_1_inplace(x, m=NP):
    y = [0.0] * 6
    for i in range(1, 6):
        y[i] = (m.sin(x) + y[i - 1]) ** 2
    return np.reshape(np.array(y), (3, 2), order="F")


NUMBER_TO_ARRAY = {"num2arr_1": num2arr_1, "num2arr_1!": num2arr_1_inplace}


# ---------------------------------------------------------------------------
# VECTOR_TO_NUMBER_FUNCS
# ---------------------------------------------------------------------------
def vec2num_1(x, m=NP):
    return (m.exp(x[0]) + m.log(x[2]) * x[3]) / x[4]


def vec2num_2(x, m=NP):
    return x[0] * x[1] + m.sin(x[0])


def vec2num_3(x, m=NP):
    # norm(x' .* x): the Frobenius norm of the outer product
    return m.norm(x[None, :] * x[:, None])


def vec2num_4(x, m=NP):
    (np.sum(x) + np.prod(x))  # evaluated and discarded, as in DiffTests
    return 1


def vec2num_5(x, m=NP):
    return np.sum((-x) ** 3)


def vec2num_6(x, m=NP):
    return sum([i if i > 0 else 0 for i in x])


def vec2num_7(x, m=NP):
    return sum(map(lambda y: x[0] * y, x))


def rosenbrock_1(x, m=NP):
    a = 1.0
    b = 100 * a
    result = 0.0
    for i in range(len(x) - 1):
        result += (a - x[i]) ** 2 + b * (x[i + 1] - x[i] ** 2) ** 2
    return result


def rosenbrock_2(x, m=NP):
    a = x[0]
    b = 100 * a
    v = list(map(lambda i, j: (a - j) ** 2 + b * (i - j ** 2) ** 2, x[1:], x[:-1]))
    return sum(v)


def rosenbrock_3(x, m=NP):
    # sum(map(...)) over two slices, written as numpy array code on the slices
    return np.sum((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2)


def rosenbrock_4(x, m=NP):
    t1 = (1 + x[:-1]) ** 2
    t2 = x[1:] + (x[:-1]) ** 2
    return np.sum(t1 + 100 * (m.abs(t2)) ** 2)


def ackley(x, m=NP):
    a, b, c = 20.0, -0.2, 2.0 * m.pi
    len_recip = 1 / len(x)
    sum_sqrs = 0.0
    sum_cos = sum_sqrs
    for i in x:
        sum_cos += m.cos(c * i)
        sum_sqrs += i ** 2
    return (-a * m.exp(b * m.sqrt(len_recip * sum_sqrs)) - m.exp(len_recip * sum_cos) + a + m.e)


def self_weighted_logit(x, m=NP):
    return 1 / (1.0 + m.exp(-np.dot(x, x)))


def nested_array_mul(x, m=NP):
    return sum(sum(x[0] * np.array([[x[1], x[2]]])))


def first(x, m=NP):
    return x[0]


VECTOR_TO_NUMBER = {f.__name__: f for f in (
    vec2num_1, vec2num_2, vec2num_3, vec2num_4, vec2num_5, vec2num_6, vec2num_7, rosenbrock_1,
    rosenbrock_2, rosenbrock_3, rosenbrock_4, ackley, self_weighted_logit, nested_array_mul, first)}


# ---------------------------------------------------------------------------
# MATRIX_TO_NUMBER_FUNCS (square matrix input)
# ---------------------------------------------------------------------------
def det(x, m=NP):
    return m.det(x)


def mat2num_1(x, m=NP):
    return m.det(x[0, 0] * m.inv(x @ x) + x)


def mat2num_2(x, m=NP):
    # Julia reshapes column-major; the trace only reads the diagonal of a*b + a - b, whose
    # i-th entry pairs entry i of vec(x) with itself, so the order does not change the value.
    a = np.reshape(x, (x.size, 1))
    b = np.reshape(x.copy(), (1, x.size))
    return np.trace(m.log((1 + (a @ b)) + a - b))


def mat2num_3(x, m=NP):
    k = x.size
    n = math.isqrt(k)
    A = np.reshape(x, (n, n))
    return np.sum(m.sqrt(m.abs(A) + A ** 2) * 0.5)


def mat2num_4(x, m=NP):
    return np.mean(np.sum(m.sin(x) @ x, axis=1))


def softmax(x, m=NP):
    return np.sum(m.exp(x) / np.sum(m.exp(x), axis=1, keepdims=True))


MATRIX_TO_NUMBER = {f.__name__: f for f in (det, mat2num_1, mat2num_2, mat2num_3, mat2num_4, softmax)}


# ---------------------------------------------------------------------------
# BINARY_MATRIX_TO_MATRIX_FUNCS: (a, b) -> matrix; differentiated in a (b fixed) and in b.
# Julia's a / b is a·b⁻¹ and a \ b is a⁻¹·b; adjoint = transpose for real matrices.
# ---------------------------------------------------------------------------
BINARY_MATRIX_TO_MATRIX = {
    "add": lambda a, b, m=NP: a + b,
    "sub": lambda a, b, m=NP: a - b,
    "matmul": lambda a, b, m=NP: a @ b,
    "rdiv": lambda a, b, m=NP: a @ m.inv(b),
    "ldiv": lambda a, b, m=NP: m.solve(a, b),
    "broadcast_add": lambda a, b, m=NP: a + b,
    "broadcast_sub": lambda a, b, m=NP: a - b,
    "broadcast_mul": lambda a, b, m=NP: a * b,
    "broadcast_div": lambda a, b, m=NP: a / b,
    "broadcast_ldiv": lambda a, b, m=NP: b / a,
    "broadcast_pow": lambda a, b, m=NP: a ** b,
    "a_times_bT": lambda a, b, m=NP: a @ np.transpose(b),
    "aT_times_b": lambda a, b, m=NP: np.transpose(a) @ b,
    "aT_times_bT": lambda a, b, m=NP: np.transpose(a) @ np.transpose(b),
    "a_times_badj": lambda a, b, m=NP: a @ b.T,
    "aadj_times_b": lambda a, b, m=NP: a.T @ b,
    "aadj_times_badj": lambda a, b, m=NP: a.T @ b.T,
}


# ---------------------------------------------------------------------------
# TERNARY_MATRIX_TO_NUMBER_FUNCS: neural_step(x1, w1, w2); DiffTests' relu is softplus
# ---------------------------------------------------------------------------
def neural_step(x1, w1, w2, m=NP):
    k = w1.shape[1]
    relu = m.log(1.0 + m.exp(w1 @ x1[:k]))
    return 1. / (1. + m.exp(-np.dot(w2[:k], relu)))


# ---------------------------------------------------------------------------
# INPLACE_ARRAY_TO_ARRAY_FUNCS (f!(y, x), y of length len(Y)) and ARRAY_TO_ARRAY_FUNCS.
# Python lists stand for Julia's mutable output arrays.
# ---------------------------------------------------------------------------
def chebyquad_inplace(y, x, m=NP):
    tk = 1 / len(x)
    for j in range(len(x)):
        temp1 = 1.0
        temp2 = 2 * x[j] - 1
        temp = 2 * temp2
        for i in range(len(y)):
            y[i] += temp2
            ti = temp * temp2 - temp1
            temp1 = temp2
            temp2 = ti
    iev = -1.0
    for k in range(1, len(y) + 1):
        y[k - 1] *= tk
        if iev > 0:
            y[k - 1] += 1 / (k ** 2 - 1)
        iev = -iev


def brown_almost_linear_inplace(y, x, m=NP):
    c = sum(x) - (len(x) + 1)
    for i in range(len(x) - 1):
        for j in range(len(y) - 1):
            y[j] += x[i] + c
    y[len(y) - 1] = np.prod(x) - 1


def trigonometric_inplace(y, x, m=NP):
    for i in x:
        for j in range(len(y)):
            y[j] = m.cos(i)
    c = sum(y)
    n = len(x)
    for i in x:
        for j in range(len(y)):
            y[j] = m.sin(i) * y[j] + n - c


def mutation_test_1_inplace(y, x, m=NP):
    y[0] = x[0]
    y[0] = y[0] * x[1]
    y[1] = y[1] * x[2]
    y[2] = sum(y)


def mutation_test_2_inplace(y, x, m=NP):
    y[0] *= x[0]
    y[1] *= x[0]
    y[0] *= x[1]
    y[1] *= x[1]


def _out_of_place(f_inplace, fill):
    def f(x, m=NP):
        y = [fill] * len(x)
        f_inplace(y, x, m)
        return np.array(y)
    f.__name__ = f_inplace.__name__.replace("_inplace", "")
    return f


def _with_y(f_inplace, n):
    def f(x, m=NP):
        y = [0.0] * n
        f_inplace(y, x, m)
        return np.array(y)
    f.__name__ = f_inplace.__name__.replace("_inplace", "!")
    return f


def arr2arr_1(x, m=NP):
    np.sum(x * x)
    return np.zeros(np.shape(x))


def arr2arr_2(x, m=NP):
    # x[1, :] .+ x[1, :] .+ first(x), on a matrix input
    return x[0, :] + x[0, :] + x[0, 0]


def negate(x, m=NP):
    return -x


ARRAY_TO_ARRAY = {
    "negate": negate,
    "chebyquad": _out_of_place(chebyquad_inplace, 0.0),
    "brown_almost_linear": _out_of_place(brown_almost_linear_inplace, 0.0),
    "trigonometric": _out_of_place(trigonometric_inplace, 1.0),
    "arr2arr_1": arr2arr_1,
    "mutation_test_1": _out_of_place(mutation_test_1_inplace, 0.0),
    "mutation_test_2": _out_of_place(mutation_test_2_inplace, 1.0),
    "identity": identity,
}

INPLACE_ARRAY_TO_ARRAY = {
    f.__name__.replace("_inplace", "!"): _with_y(f, len(Y)) for f in (
        chebyquad_inplace, brown_almost_linear_inplace, trigonometric_inplace,
        mutation_test_1_inplace, mutation_test_2_inplace)}


# ---------------------------------------------------------------------------
# VECTOR_TO_VECTOR_FUNCS / MATRIX_TO_MATRIX_FUNCS: left multiplication and left division
# by constant matrices (sparse variants are the same maths in numpy)
# ---------------------------------------------------------------------------
def diag_matrix(n):
    return np.diag(np.linspace(0.01, 100.0, n))


def lehmer_matrix(n):
    i = np.arange(1, n + 1)
    return np.minimum.outer(i, i) / np.maximum.outer(i, i)


VECTOR_TO_VECTOR = {
    "diag_lmul": lambda x, m=NP: diag_matrix(x.shape[0]) @ x,
    "dense_lmul": lambda x, m=NP: lehmer_matrix(x.shape[0]) @ x,
    "utriag_lmul": lambda x, m=NP: np.triu(lehmer_matrix(x.shape[0])) @ x,
    "ltriag_lmul": lambda x, m=NP: np.tril(lehmer_matrix(x.shape[0])) @ x,
    "diag_ldiv": lambda x, m=NP: m.solve(diag_matrix(x.shape[0]), x),
    "utriag_ldiv": lambda x, m=NP: m.solve(np.triu(lehmer_matrix(x.shape[0])), x),
    "ltriag_ldiv": lambda x, m=NP: m.solve(np.tril(lehmer_matrix(x.shape[0])), x),
}
