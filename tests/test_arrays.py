"""Array code on Duals (SPEC §2, issue 11 item 1): numpy as a user writes it.

Every expected derivative is a closed form worked out beside the case, or the Jacobian
numpy itself gives for a linear map (column j = f(e_j) on floats); values must be
numpy's own, bit for bit.
"""
import tracemalloc
import warnings

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import Dual

A = np.array([[1.0, -2.0], [0.5, 3.0], [4.0, 0.25]])        # 3×2
X3 = np.array([0.3, -1.2, 2.0])
X2 = np.array([0.7, -0.4])


def _linear_jacobian(f, x):
    x = np.asarray(x, dtype=float)
    base = np.ravel(f(np.zeros(x.shape)))   # affine maps: subtract the constant part
    cols = [np.ravel(f(np.eye(x.size)[j].reshape(x.shape))) - base for j in range(x.size)]
    return np.stack(cols, axis=-1)


# ---------------------------------------------------------------- the examples
def test_function_building_an_array_of_duals_is_differentiated():
    # issue 11: this gave [0, 0, 0] (silently wrong); d/dx [x, x², x³] = [1, 2x, 3x²]
    d = dd.derivative(lambda x: np.array([x, x ** 2, x ** 3]), 2.0)
    assert np.asarray(d).dtype == float
    np.testing.assert_array_equal(d, [1.0, 4.0, 12.0])
    v, d = dd.value_and_derivative(lambda x: np.array([[x, 1.0], [x * x, 2.0]]), 3.0)
    np.testing.assert_array_equal(v, [[3.0, 1.0], [9.0, 2.0]])
    np.testing.assert_array_equal(d, [[1.0, 0.0], [6.0, 0.0]])


def test_sum_axis_zero_is_not_ignored():
    # issue 11: np.sum(a * x, axis=0) ignored axis (axis=0 is falsy)
    x = np.array([1.0, 2.0])
    f = lambda w: np.sum(A * w, axis=0)    # noqa: E731   column sums of A, times w
    v, _ = dd.value_and_derivative(f, x)
    np.testing.assert_array_equal(v, np.sum(A * x, axis=0))
    np.testing.assert_array_equal(dd.jacobian(f, x), np.diag(A.sum(axis=0)))


def test_hessian_nested_in_gradient():
    # issue 11: gave [0, 0].  ∂²/∂x0∂x1 (x0² x1) = 2 x0; its gradient in (x0, x1) is [2, 0]
    g = dd.gradient(lambda y: dd.hessian(lambda x: x[0] ** 2 * x[1], y)[0, 1], [1.0, 2.0])
    np.testing.assert_array_equal(g, [2.0, 0.0])


def test_hessian_of_numpy_sin_sum():
    # issue 11: AttributeError 'reshape'.  ∇² Σ sin(w) = diag(-sin w)
    a = np.array([0.3, 0.5, 0.9])
    np.testing.assert_allclose(dd.hessian(lambda w: np.sin(w).sum(), a), np.diag(-np.sin(a)), rtol=1e-15, atol=0)


def test_hessian_of_logsumexp():
    # issue 11: broadcast error.  ∇² logsumexp(x) = diag(p) - p pᵀ with p = softmax(x)
    x = np.array([1.0, 2.0, 3.0])
    p = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(dd.hessian(dd.logsumexp, x), np.diag(p) - np.outer(p, p), rtol=1e-13, atol=1e-16)


def test_rosenbrock_with_slices_gradient_and_hessian():
    # f = Σ 100 (x_{i+1} - x_i²)² + (1 - x_i)²; at [0.1, 0.2, 0.3] ForwardDiff publishes
    # g = [-9.4, 15.6, 52] and H = [-66 -40 0; -40 130 -80; 0 -80 200]
    def rosen(x):
        return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    x = [0.1, 0.2, 0.3]
    np.testing.assert_allclose(dd.gradient(rosen, x), [-9.4, 15.6, 52.0], rtol=1e-13)
    np.testing.assert_allclose(dd.hessian(rosen, x), [[-66.0, -40.0, 0.0], [-40.0, 130.0, -80.0], [0.0, -80.0, 200.0]],
                               rtol=1e-13, atol=1e-13)


def test_empty_input_gives_an_empty_gradient():
    g = dd.gradient(lambda x: np.sum(x ** 2), np.zeros(0))
    assert g.shape == (0,)
    g2 = dd.gradient(lambda x: 1.0, np.zeros((0, 3)))
    assert g2.shape == (0, 3)
    J = dd.jacobian(lambda x: np.array([1.0, 2.0]), np.zeros(0))
    assert J.shape == (2, 0)


# ---------------------------------------------------------------- products
def test_matmul_both_sides_and_dot():
    x = X2
    for f in (lambda w: A @ w, lambda w: np.matmul(A, w), lambda w: np.dot(A, w), lambda w: A.dot(w)):
        v, _ = dd.value_and_derivative(f, x)
        np.testing.assert_array_equal(v, A @ x)
        np.testing.assert_array_equal(dd.jacobian(f, x), A)   # d(A x)/dx = A
    # row vector on the left: d(w A)/dw = Aᵀ
    np.testing.assert_array_equal(dd.jacobian(lambda w: w @ A, X3), A.T)
    np.testing.assert_array_equal(dd.jacobian(lambda w: w.dot(A), X3), A.T)


def test_matmul_dual_with_dual():
    # f(x) = (x xᵀ) x = x |x|²: J = |x|² I + 2 x xᵀ
    x = X3
    J = dd.jacobian(lambda w: np.outer(w, w) @ w, x)
    np.testing.assert_allclose(J, (x @ x) * np.eye(3) + 2 * np.outer(x, x), rtol=1e-15)
    # a matrix of inputs: f(W) = W Wᵀ, d f_ij / dW_kl = δ_ik W_jl + W_il δ_jk
    W = A
    J = dd.jacobian(lambda M: M @ M.T, W).reshape(3, 3, 3, 2)
    I3 = np.eye(3)
    ref = np.einsum("ik,jl->ijkl", I3, W) + np.einsum("il,jk->ijkl", W, I3)
    np.testing.assert_array_equal(J, ref)


def test_matrix_input_two_layer_network_gradient():
    # L(W1) = sum(tanh(W1 x) * v): dL/dW1 = (v ⊙ (1 - tanh²(W1 x))) xᵀ
    x, v = X2, np.array([1.0, -0.5, 2.0])
    g = dd.gradient(lambda W: np.sum(np.tanh(W @ x) * v), A)
    h = np.tanh(A @ x)
    np.testing.assert_allclose(g, np.outer(v * (1 - h ** 2), x), rtol=1e-14)


def test_tensordot_inner_vdot_outer():
    x = X3
    np.testing.assert_array_equal(dd.gradient(lambda w: np.inner(w, X3), x), X3)
    np.testing.assert_array_equal(dd.gradient(lambda w: np.vdot(w, X3), x), X3)
    np.testing.assert_array_equal(dd.jacobian(lambda w: np.tensordot(A, w[:2], axes=1), x)[:, :2], A)
    J = dd.jacobian(lambda w: np.outer(w, X2), x)
    np.testing.assert_array_equal(J, np.einsum("ik,j->ijk", np.eye(3), X2).reshape(6, 3))


# ---------------------------------------------------------------- reductions
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_mean_axis_keepdims(name, axis, keepdims):
    f = lambda w: getattr(np, name)(w, axis=axis, keepdims=keepdims)   # noqa: E731
    v, _ = dd.value_and_derivative(f, A)
    ref_v = f(A)
    np.testing.assert_array_equal(v, ref_v)
    assert np.shape(v) == np.shape(ref_v)
    np.testing.assert_allclose(dd.jacobian(f, A), _linear_jacobian(f, A).reshape(-1, 6), rtol=1e-15)


@pytest.mark.parametrize("ddof", [0, 1])
def test_var_std_closed_forms(ddof):
    # ∂var/∂x_i = 2 (x_i - mean) / (N - ddof);  ∂std/∂x_i = (x_i - mean) / ((N - ddof) std)
    x = np.array([0.5, -1.0, 2.0, 0.25])
    c, N = x - x.mean(), x.size - ddof
    v, g = dd.value_and_derivative(lambda w: np.var(w, ddof=ddof), x)
    assert v == np.var(x, ddof=ddof)
    np.testing.assert_allclose(dd.gradient(lambda w: np.var(w, ddof=ddof), x), 2 * c / N, rtol=1e-14)
    np.testing.assert_allclose(dd.gradient(lambda w: np.std(w, ddof=ddof), x), c / (N * np.std(x, ddof=ddof)),
                               rtol=1e-14)
    # along an axis of a matrix: each column on its own
    M = np.stack([x, x[::-1] * 2], axis=1)
    J = dd.jacobian(lambda w: np.std(w, axis=0, ddof=ddof), M)
    for j in range(2):
        col = M[:, j]
        ref = np.zeros((4, 2))
        ref[:, j] = (col - col.mean()) / ((4 - ddof) * np.std(col, ddof=ddof))
        np.testing.assert_allclose(J[j], ref.ravel(), rtol=1e-14, atol=1e-17)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_prod_axis_closed_form(axis):
    M = np.array([[1.5, -2.0, 0.5], [3.0, 0.0, 2.0]])
    J = dd.jacobian(lambda w: np.prod(w, axis=axis), M)
    # ∂/∂M_ij Π_(slice) = product of the other entries of the slice (no division: M has a 0)
    ref = []
    flat = M.ravel()
    if axis is None:
        ref.append([np.prod(np.delete(flat, k)) for k in range(6)])
    elif axis == 0:
        for j in range(3):
            row = np.zeros(6)
            for i in range(2):
                row[i * 3 + j] = M[1 - i, j]
            ref.append(row)
    else:
        for i in range(2):
            row = np.zeros(6)
            for j in range(3):
                row[i * 3 + j] = np.prod(np.delete(M[i], j))
            ref.append(row)
    np.testing.assert_array_equal(J, np.array(ref))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_select_the_extreme_entry(name):
    M = np.array([[0.5, 3.0, -1.0], [2.0, -4.0, 1.5]])
    f = lambda w: getattr(np, name)(w, axis=1)   # noqa: E731
    v, _ = dd.value_and_derivative(f, M)
    np.testing.assert_array_equal(v, f(M))
    k = getattr(np, "arg" + name)(M, axis=1)
    ref = np.zeros((2, 6))
    ref[0, k[0]] = ref[1, 3 + k[1]] = 1.0
    np.testing.assert_array_equal(dd.jacobian(f, M), ref)
    # the method spelling and a whole-array reduction
    assert dd.gradient(lambda w: getattr(w, name)(), M)[np.unravel_index(getattr(np, "arg" + name)(M), M.shape)] == 1.0


def test_max_tie_is_a_kink_and_says_so():
    x = np.array([2.0, 2.0, 1.0])
    with pytest.warns(UserWarning, match="tie"):
        g = dd.gradient(np.max, x)
    np.testing.assert_array_equal(g, [1.0, 0.0, 0.0])   # the first of the tied entries


# ---------------------------------------------------------------- layout
LAYOUT = {
    "reshape": lambda w: w.reshape(2, 3),
    "reshape_F": lambda w: np.reshape(w, (2, 3), order="F"),
    "reshape_minus_one": lambda w: np.reshape(w, (-1,)),
    "T": lambda w: w.T,
    "transpose_axes": lambda w: np.transpose(w.reshape(3, 2, 1), (2, 0, 1)),
    "ravel": lambda w: np.ravel(w.T),
    "flatten": lambda w: w.T.flatten(),
    "swapaxes": lambda w: np.swapaxes(w, 0, -1),
    "moveaxis": lambda w: np.moveaxis(w.reshape(3, 2, 1), 0, -1),
    "expand_squeeze": lambda w: np.squeeze(np.expand_dims(w, -1), axis=2),
    "broadcast_to": lambda w: np.broadcast_to(w[0], (4, 2)),
    "flip": lambda w: np.flip(w, axis=0),
    "fliplr": lambda w: np.fliplr(w),
    "diagonal": lambda w: np.diagonal(w.reshape(2, 3), 1),
    "trace": lambda w: np.trace(w.reshape(2, 3)),
    "triu": lambda w: np.triu(w.reshape(2, 3)),
    "tril": lambda w: np.tril(w.reshape(2, 3), -1),
    "diff": lambda w: np.diff(w, axis=0),
    "cumsum": lambda w: np.cumsum(w, axis=0),
    "cumsum_flat": lambda w: np.cumsum(w),
    "index_int": lambda w: w[1, 0],
    "index_negative": lambda w: w[-1],
    "index_slice_step": lambda w: w[::-2, :],
    "index_ellipsis_none": lambda w: w[..., None, 1],
    "index_list": lambda w: w[[2, 0, 2]],
    "index_mask": lambda w: w[A > 0.6],
    "concatenate": lambda w: np.concatenate([w, A, w[:1]]),
    "concatenate_axis1": lambda w: np.concatenate((A, w), axis=1),
    "concatenate_none": lambda w: np.concatenate((A, w), axis=None),
    "stack": lambda w: np.stack([w, A], axis=1),
    "hstack": lambda w: np.hstack([w, A]),
    "vstack": lambda w: np.vstack([w[0], A]),
    "append": lambda w: np.append(w, [1.0, 2.0]),
    "where": lambda w: np.where(A > 0.6, w, -w),
    "where_scalar_branch": lambda w: np.where(A > 0.6, w, 0.0),
    "broadcast_add": lambda w: w[:, :1] + A[0],
    "scalar_times_array": lambda w: w[2, 1] * A,
    "list_sum": lambda w: sum([w, 2 * w]),
    "iteration": lambda w: np.array([row[0] * 2 for row in w]),
}


@pytest.mark.parametrize("name", list(LAYOUT))
def test_layout_and_indexing(name):
    f = LAYOUT[name]
    x = A + 0.125
    v, _ = dd.value_and_derivative(f, x)
    np.testing.assert_array_equal(np.asarray(v, dtype=float), np.asarray(f(x), dtype=float))
    assert np.shape(v) == np.shape(f(x))
    np.testing.assert_array_equal(dd.jacobian(f, x), _linear_jacobian(f, x).reshape(-1, 6))


def test_shape_len_iteration_attributes():
    seen = {}

    def f(w):
        seen.update(shape=w.shape, ndim=w.ndim, size=w.size, len=len(w), rows=[r.shape for r in w],
                    npshape=np.shape(w), npsize=np.size(w))
        return w
    dd.jacobian(f, A)
    assert seen == {"shape": (3, 2), "ndim": 2, "size": 6, "len": 3, "rows": [(2,), (2,), (2,)],
                    "npshape": (3, 2), "npsize": 6}


def test_integer_index_returns_a_scalar_dual():
    def f(w):
        e = w[1]
        assert type(e) is Dual and e.shape == () and type(e.value) is float
        return e * e
    np.testing.assert_array_equal(dd.gradient(f, X3), [0.0, 2 * X3[1], 0.0])


# ---------------------------------------------------------------- object arrays, lists
def test_object_arrays_in_operations_and_results():
    # x0 · [x1, x2] (a Dual times an object array of Duals) = [x0 x1, x0 x2]
    J = dd.jacobian(lambda w: w[0] * np.array([w[1], w[2]]), X3)
    np.testing.assert_array_equal(J, [[X3[1], X3[0], 0.0], [X3[2], 0.0, X3[0]]])
    # the object array on the left, and mixed with plain numbers
    J = dd.jacobian(lambda w: np.array([w[1], 2.0]) * w[0], X3)
    np.testing.assert_array_equal(J, [[X3[1], X3[0], 0.0], [2.0, 0.0, 0.0]])
    # a matrix built entry by entry, then array code on it
    g = dd.gradient(lambda w: np.sum(np.array([[w[0], w[1]], [w[1], w[2]]]) @ X2), X3)
    np.testing.assert_array_equal(g, [X2[0], X2[1] + X2[0], X2[1]])


def test_lists_and_tuples_keep_their_structure():
    d = dd.derivative(lambda x: [x, x ** 2], 3.0)
    assert d == [1.0, 6.0]
    v, d = dd.value_and_derivative(lambda x: (x, np.array([x, 2 * x])), 3.0)
    assert v[0] == 3.0 and d[0] == 1.0
    np.testing.assert_array_equal(d[1], [1.0, 2.0])
    J = dd.jacobian(lambda w: (w[0] * w[1], w), X2)
    np.testing.assert_array_equal(J, [[X2[1], X2[0]], [1.0, 0.0], [0.0, 1.0]])


def test_gradient_at_a_list_of_duals():
    # an outer derivative handing in a list of Duals: d/dt ∇(x·x)|_{x = [t, 2t]} = [2, 4]
    d = dd.derivative(lambda t: dd.gradient(lambda x: np.dot(x, x), [t, 2 * t]), 1.5)
    np.testing.assert_array_equal(d, [2.0, 4.0])


# ---------------------------------------------------------------- linear algebra
def test_inv_det_solve_closed_forms():
    M = np.array([[2.0, 1.0], [0.5, 3.0]])
    Minv = np.linalg.inv(M)
    # d(M⁻¹)_ij/dM_kl = -(M⁻¹)_ik (M⁻¹)_lj
    J = dd.jacobian(np.linalg.inv, M).reshape(2, 2, 2, 2)
    np.testing.assert_allclose(J, -np.einsum("ik,lj->ijkl", Minv, Minv), rtol=1e-14)
    # ∇ det M = det(M) M⁻ᵀ
    np.testing.assert_allclose(dd.gradient(np.linalg.det, M), np.linalg.det(M) * Minv.T, rtol=1e-14)
    # x = M⁻¹ b: dx/db = M⁻¹; dx/dM_kl = -(M⁻¹)_ik x_l
    b = np.array([1.0, -2.0])
    np.testing.assert_allclose(dd.jacobian(lambda c: np.linalg.solve(M, c), b), Minv, rtol=1e-14)
    x = np.linalg.solve(M, b)
    J = dd.jacobian(lambda N: np.linalg.solve(N, b), M).reshape(2, 2, 2)
    np.testing.assert_allclose(J, -np.einsum("ik,l->ikl", Minv, x), rtol=1e-14)
    # the 2-norm: ∇|x| = x/|x|
    np.testing.assert_allclose(dd.gradient(np.linalg.norm, X3), X3 / np.linalg.norm(X3), rtol=1e-15)


# ---------------------------------------------------------------- never a silent loss
@pytest.mark.parametrize("call, name", [
    (lambda w: np.linalg.eigvalsh(np.outer(w, w)), "eigvalsh"),
    (lambda w: np.sort(w), "sort"),
    (lambda w: np.linalg.norm(w, ord=1), "norm"),
    (lambda w: np.sum(w, out=np.zeros(())), "sum"),
    (lambda w: np.matmul(np.ones((2, 3, 3)), w), "matmul"),
    (lambda w: np.add.reduce(w), "add"),
    (lambda w: np.sign(w), "sign"),
])
def test_unsupported_numpy_calls_raise_type_error_naming_themselves(call, name):
    with pytest.raises(TypeError, match=name):
        dd.jacobian(call, X3)


def test_assigning_a_dual_into_a_float_array_raises():
    def f(w):
        out = np.zeros(3)
        out[0] = w[0]       # would drop the derivative: refused (numpy's own error)
        return out
    with pytest.raises((TypeError, ValueError)):
        dd.jacobian(f, X3)


# ---------------------------------------------------------------- chunk mode (issue 14 item 7)
def _rosen(x):
    return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


@pytest.mark.parametrize("chunk", [1, 7, 50])
def test_chunked_gradient_and_jacobian_are_identical(chunk):
    x = np.linspace(-1.5, 2.0, 50)
    np.testing.assert_array_equal(dd.gradient(_rosen, x, chunk=chunk), dd.gradient(_rosen, x))
    f = lambda w: np.tanh(np.cumsum(w) * w[::-1])   # noqa: E731
    np.testing.assert_array_equal(dd.jacobian(f, x, chunk=chunk), dd.jacobian(f, x))
    H = dd.hessian(_rosen, x[:9])
    np.testing.assert_array_equal(dd.jacobian(lambda u: dd.gradient(_rosen, u, chunk=2), x[:9], chunk=4), H)


def test_large_gradient_memory_is_linear_in_n():
    # n = 20,000: an n×n identity seed would be 3.2 GB; chunks of CHUNK directions keep the
    # peak at a few n·CHUNK arrays.  (A function that reads a few entries, so that the test
    # measures the seeding, not 20,000 passes' worth of arithmetic.)
    n = 20_000
    x = np.linspace(-1.0, 1.0, n)
    tracemalloc.start()
    try:
        g = dd.gradient(lambda w: 3.0 * w[0] + np.sum(w[:5]) + w[n - 1] * w[n - 2], x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    ref = np.zeros(n)
    ref[:5] = 1.0
    ref[0] = 4.0
    ref[n - 1], ref[n - 2] = x[n - 2], x[n - 1]
    np.testing.assert_array_equal(g, ref)
    assert peak < 200e6, f"peak {peak / 1e6:.0f} MB"


def test_chunk_argument_is_checked():
    with pytest.raises(ValueError, match="chunk"):
        dd.gradient(_rosen, [1.0, 2.0], chunk=0)
