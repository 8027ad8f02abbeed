//! The scientific stack bundled with Python: numpy, pandas, scipy,
//! scikit-learn and matplotlib, run in the sandbox. The expected outputs
//! were checked with native CPython and native builds of the same libraries
//! (numpy 2.4, pandas 3.1, scipy 1.17, scikit-learn 1.9, matplotlib 3.11);
//! the computations are chosen to give the same digits across versions.

mod common;

use common::{Run, TestRoot, assert_output};
use polyrun::engine::{Limits, Status};

#[tokio::test]
async fn numpy_and_pandas_compute_what_native_python_does() {
    let code = r#"
import io
import numpy as np
import pandas as pd

a = np.array([[3.0, 1.0], [1.0, 2.0]])
print(np.linalg.solve(a, [9.0, 8.0]).round(6).tolist(), round(float(np.linalg.det(a)), 6))
print(np.linalg.eigvalsh(a).round(6).tolist())
print(np.abs(np.fft.fft([1, 0, -1, 0])).round(6).tolist())
print(np.random.default_rng(42).integers(0, 100, 5).tolist())
frame = pd.read_csv(io.StringIO("city,year,sales\nA,2020,10\nA,2021,15\nB,2020,7\nB,2021,9\n"))
print(frame.groupby("city")["sales"].sum().to_dict())
print(frame.pivot(index="city", columns="year", values="sales").to_string())
print(frame.describe().loc["mean"].round(3).to_dict())
"#;
    let outcome = Run::new("python", code).go().await;
    assert_output(
        &outcome,
        "[2.0, 3.0] 5.0\n\
         [1.381966, 3.618034]\n\
         [0.0, 2.0, 0.0, 2.0]\n\
         [8, 77, 65, 43, 43]\n\
         {'A': 25, 'B': 16}\n\
         year  2020  2021\n\
         city            \n\
         A       10    15\n\
         B        7     9\n\
         {'year': 2020.5, 'sales': 10.25}\n",
    );
}

#[tokio::test]
async fn scipy_and_scikit_learn_compute_what_native_python_does() {
    let code = r#"
from scipy import integrate, optimize, stats
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeClassifier

best = optimize.minimize_scalar(lambda x: (x - 2) ** 2 + 1)
print(round(float(best.x), 4), round(float(best.fun), 4))
area, _ = integrate.quad(lambda x: x ** 2, 0, 3)
print(round(area, 6), round(float(stats.norm.cdf(1.96)), 4))
print(round(float(stats.ttest_ind([1, 2, 3, 4], [2, 3, 4, 5]).pvalue), 4))
model = LinearRegression().fit([[1], [2], [3], [4]], [3, 5, 7, 9])
print(round(float(model.coef_[0]), 6), round(float(model.intercept_), 6), model.predict([[10]]).round(6).tolist())
tree = DecisionTreeClassifier(random_state=0).fit([[0, 0], [1, 1], [0, 1], [1, 0]], [0, 1, 0, 1])
print(tree.predict([[1, 1], [0, 0]]).tolist())
"#;
    let outcome = Run::new("python", code).go().await;
    assert_output(
        &outcome,
        "2.0 1.0\n9.0 0.975\n0.3153\n2.0 1.0 [21.0]\n[1, 0]\n",
    );
}

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

#[tokio::test]
async fn matplotlib_saves_png_files_into_the_sandbox_and_show_saves_too() {
    let code = r#"
import matplotlib
import matplotlib.pyplot as plt
print(matplotlib.get_backend())
plt.plot([1, 2, 3], [1, 4, 9])
plt.title("squares")
plt.savefig("squares.png")
plt.figure()
plt.bar(["a", "b"], [3, 5])
plt.show()
"#;
    let root = TestRoot::new();
    let sandbox = root.sandbox();
    let outcome = Run::new("python", code).in_sandbox(&sandbox).await;
    // Both figures are open at `show()`, as both windows would open.
    assert_output(&outcome, "Agg\nplot.png\nplot-2.png\n");
    for name in ["squares.png", "plot.png", "plot-2.png"] {
        let png = sandbox.read_file(name, 10 << 20).unwrap();
        assert!(png.starts_with(PNG_MAGIC), "{name} is not a PNG");
        assert!(png.len() > 5_000, "{name} is only {} bytes", png.len());
    }
}

#[tokio::test]
async fn a_numpy_allocation_past_the_limit_is_a_memory_limit() {
    let limits = Limits {
        memory_bytes: 256 << 20,
        wall_time: std::time::Duration::from_secs(20),
        ..Limits::default()
    };
    // 1.2 GB: within wasm32's 2 GiB object size, far past the limit.
    let code = "import numpy as np\nx = np.ones((12000, 12000))\nprint('allocated', x.sum())\n";
    let outcome = Run::new("python", code).limits(limits).go().await;
    assert_eq!(
        outcome.status,
        Status::MemoryLimit,
        "{:?} {}",
        outcome.message,
        outcome.stderr_lossy()
    );
    assert!(!outcome.stdout_lossy().contains("allocated"));
    assert!(outcome.peak_memory_bytes <= limits.memory_bytes);
}

/// Every package the snapshot preloads is in `sys.modules` before the
/// program imports anything, and works there: a fit and a clustering, a
/// solve, a regression, a simplification, a shortest path. (How long the
/// imports take is the bench's business, not a test's.)
#[tokio::test]
async fn the_preloaded_science_stack_is_imported_before_the_program_starts_and_works() {
    let code = r#"
import sys
preloaded = ["scipy.optimize", "scipy.stats", "scipy.integrate", "scipy.linalg",
             "scipy.sparse", "sklearn.linear_model", "sklearn.cluster", "sklearn.ensemble",
             "sklearn.model_selection", "sklearn.preprocessing", "sklearn.metrics",
             "statsmodels.api", "sympy", "networkx"]
print([name for name in preloaded if name not in sys.modules])

import numpy as np
import networkx as nx
import scipy.sparse
import statsmodels.api as sm
import sympy
from scipy import linalg, optimize
from sklearn.cluster import KMeans
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

points = np.array([[1, 1], [1.5, 2], [1, 1.5], [8, 8], [8.5, 9], [9, 8]])
labels = KMeans(n_clusters=2, n_init=10, random_state=0).fit_predict(points)
print(sorted([labels[:3].tolist(), labels[3:].tolist()]))
x = np.arange(10.0).reshape(-1, 1)
y = 3 * x.ravel() + 2
train_x, test_x, train_y, test_y = train_test_split(x, y, test_size=0.3, random_state=0)
model = LinearRegression().fit(StandardScaler().fit_transform(train_x), train_y)
print(round(r2_score(train_y, model.predict(StandardScaler().fit_transform(train_x))), 6))
root = optimize.brentq(lambda v: v ** 3 - 2 * v - 5, 2, 3)
print(round(root, 6), linalg.solve([[3, 1], [1, 2]], [9, 8]).round(6).tolist())
print(scipy.sparse.identity(3, format="csr").sum())
fit = sm.OLS([1.0, 3.1, 4.9, 7.0], sm.add_constant([0.0, 1.0, 2.0, 3.0])).fit()
print(fit.params.round(3).tolist())
s = sympy.symbols("s")
print(sympy.simplify(sympy.sin(s) ** 2 + sympy.cos(s) ** 2), sympy.factor(s ** 2 - 1))
graph = nx.Graph([("a", "b", {"weight": 1}), ("b", "c", {"weight": 2}), ("a", "c", {"weight": 5})])
print(nx.shortest_path(graph, "a", "c", weight="weight"))
"#;
    let outcome = Run::new("python", code).go().await;
    assert_output(
        &outcome,
        "[]\n\
         [[0, 0, 0], [1, 1, 1]]\n\
         1.0\n\
         2.094551 [2.0, 3.0]\n\
         3.0\n\
         [1.03, 1.98]\n\
         1 (s - 1)*(s + 1)\n\
         ['a', 'b', 'c']\n",
    );
}
