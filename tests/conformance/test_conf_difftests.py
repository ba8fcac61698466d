"""DiffTests.jl's function lists, differentiated the way ForwardDiff.jl's test suite does.

Origins: JuliaDiff/DiffTests.jl src/DiffTests.jl (the functions, translated in
peer_cases.py) and JuliaDiff/ForwardDiff.jl test/DerivativeTest.jl, GradientTest.jl,
HessianTest.jl, JacobianTest.jl (which derivative of which list at which input size).
ForwardDiff compares with finite differences (Calculus.jl); here every reference is a
central difference in mpmath at 60 digits (peer_cases.mp_*), never dualdiff.
"""
import numpy as np
import pytest

import dualdiff as dd

import peer_cases as pc
from peer_cases import close


# ---------------------------------------------------------------- DerivativeTest.jl
# `const x = 1` there; we add two more points.
@pytest.mark.parametrize("x", [1.0, 0.4, 1.3])
@pytest.mark.parametrize("name", list(pc.NUMBER_TO_NUMBER))
def test_difftests_number_to_number_derivative(name, x):
    f = pc.NUMBER_TO_NUMBER[name]
    ref = pc.mp_jacobian(lambda v, m: f(v[0], m), [x])[0]
    v, d = dd.value_and_derivative(f, x)
    close(v, pc.mp_value(lambda v, m: f(v[0], m), [x])[()])
    close(d, ref)


@pytest.mark.parametrize("x", [1.0, 0.4, 1.3])
@pytest.mark.parametrize("name", list(pc.NUMBER_TO_NUMBER))
def test_difftests_number_to_number_second_derivative(name, x):
    f = pc.NUMBER_TO_NUMBER[name]
    ref = pc.mp_hessian(lambda v, m: f(v[0], m), [x])[0, 0]
    close(dd.nth_derivative(f, x, 2), ref, rtol=1e-9)
    # the same through nested first-order operators
    close(dd.derivative(lambda y: dd.derivative(f, y), x), ref, rtol=1e-9)


@pytest.mark.parametrize("x", [1.0, 0.4])
@pytest.mark.parametrize("name", list(pc.NUMBER_TO_ARRAY))
def test_difftests_number_to_array_derivative(name, x):
    f = pc.NUMBER_TO_ARRAY[name]
    ref = pc.mp_jacobian(lambda v, m: f(v[0], m), [x])[..., 0]
    v, d = dd.value_and_derivative(f, x)
    # ForwardDiff: `@test !(eltype(d) <: ForwardDiff.Dual)`: plain numbers come back
    assert np.asarray(d).dtype == float
    close(v, pc.mp_value(lambda v, m: f(v[0], m), [x]))
    close(d, ref)


# ---------------------------------------------------------------- GradientTest / HessianTest
@pytest.mark.parametrize("point", ["X", "X2"])
@pytest.mark.parametrize("name", list(pc.VECTOR_TO_NUMBER))
def test_difftests_vector_to_number_gradient(name, point):
    f = pc.VECTOR_TO_NUMBER[name]
    x = getattr(pc, point)
    if point == "X2" and name in ("vec2num_1",):
        x = np.abs(x)  # log(x[2]) needs x[2] > 0
    g = dd.gradient(f, x)
    close(g, pc.mp_gradient(f, x))


@pytest.mark.parametrize("point", ["X", "X2"])
@pytest.mark.parametrize("name", list(pc.VECTOR_TO_NUMBER))
def test_difftests_vector_to_number_hessian(name, point):
    f = pc.VECTOR_TO_NUMBER[name]
    x = getattr(pc, point)
    if point == "X2" and name in ("vec2num_1",):
        x = np.abs(x)
    H = dd.hessian(f, x)
    close(H, pc.mp_hessian(f, x), rtol=1e-8, atol_scale=1e-9)


@pytest.mark.parametrize("name", list(pc.MATRIX_TO_NUMBER))
def test_difftests_matrix_to_number_gradient(name):
    f = pc.MATRIX_TO_NUMBER[name]
    x = pc.P3 if name == "mat2num_2" else pc.M3  # mat2num_2 takes logs of 1 + a·b + a - b
    g = dd.gradient(f, x)
    assert g.shape == x.shape
    close(g, pc.mp_gradient(f, x))


@pytest.mark.parametrize("name", list(pc.MATRIX_TO_NUMBER))
def test_difftests_matrix_to_number_hessian(name):
    f = pc.MATRIX_TO_NUMBER[name]
    x = pc.P3 if name == "mat2num_2" else pc.M3
    H = dd.hessian(f, x)
    close(np.reshape(H, (9, 9)), np.reshape(pc.mp_hessian(f, x), (9, 9)), rtol=1e-8, atol_scale=1e-9)


@pytest.mark.parametrize("wrt", ["x1", "w1", "w2"])
def test_difftests_neural_step_gradient(wrt):
    n = 4
    args = {"x1": pc.X[:n], "w1": np.outer(pc.Y[:n], pc.X[:n]) - 0.2, "w2": pc.Y[:n]}

    def f(v, m=pc.NP):
        a = dict(args)
        a[wrt] = v
        return pc.neural_step(a["x1"], a["w1"], a["w2"], m)

    close(dd.gradient(f, args[wrt]), pc.mp_gradient(f, args[wrt]))


# ---------------------------------------------------------------- JacobianTest.jl
@pytest.mark.parametrize("name", list(pc.ARRAY_TO_ARRAY))
def test_difftests_array_to_array_jacobian(name):
    f = pc.ARRAY_TO_ARRAY[name]
    J = dd.jacobian(f, pc.X)
    close(J, pc.mp_jacobian(f, pc.X).reshape(-1, pc.X.size))


def test_difftests_arr2arr_2_jacobian():
    x = pc.M3[:, :2].T.copy()  # a 2×3 matrix input
    J = dd.jacobian(pc.arr2arr_2, x)
    close(J, pc.mp_jacobian(pc.arr2arr_2, x).reshape(3, 6))


@pytest.mark.parametrize("name", list(pc.INPLACE_ARRAY_TO_ARRAY))
def test_difftests_inplace_array_to_array_jacobian(name):
    f = pc.INPLACE_ARRAY_TO_ARRAY[name]
    J = dd.jacobian(f, pc.X)
    assert J.shape == (len(pc.Y), len(pc.X))
    close(J, pc.mp_jacobian(f, pc.X))


@pytest.mark.parametrize("shape", [(6,), (6, 2)], ids=["vector", "matrix"])
@pytest.mark.parametrize("name", list(pc.VECTOR_TO_VECTOR))
def test_difftests_vector_to_vector_jacobian(name, shape):
    f = pc.VECTOR_TO_VECTOR[name]
    x = np.resize(pc.X, shape)
    J = dd.jacobian(f, x)
    close(J, pc.mp_jacobian(f, x).reshape(x.size, x.size), rtol=1e-9, atol_scale=1e-12)


@pytest.mark.parametrize("wrt", ["a", "b"])
@pytest.mark.parametrize("name", list(pc.BINARY_MATRIX_TO_MATRIX))
def test_difftests_binary_matrix_to_matrix_jacobian(name, wrt):
    op = pc.BINARY_MATRIX_TO_MATRIX[name]
    a, b = pc.P3, pc.M3 + 2 * np.eye(3)
    if wrt == "a":
        def f(v, m=pc.NP):
            return op(v, b, m)
        x = a
    else:
        def f(v, m=pc.NP):
            return op(a, v, m)
        x = b
    J = dd.jacobian(f, x)
    close(J, pc.mp_jacobian(f, x).reshape(9, 9), rtol=1e-9, atol_scale=1e-12)
