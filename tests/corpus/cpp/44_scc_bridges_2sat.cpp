// Graph connectivity (<bits/stdc++.h>): Tarjan's strongly connected
// components (recursive) cross-checked with Kosaraju's algorithm (iterative),
// condensation DAG statistics, bridges and articulation points of an
// undirected graph (low-link), and a 2-SAT solver built on SCCs.
#include <bits/stdc++.h>
using namespace std;

struct Tarjan {
    const vector<vector<int>>& g;
    vector<int> idx, low, comp, st;
    vector<char> on;
    int timer = 0, ncomp = 0;
    explicit Tarjan(const vector<vector<int>>& graph)
        : g(graph), idx(graph.size(), -1), low(graph.size()), comp(graph.size(), -1), on(graph.size(), 0) {
        for (int v = 0; v < (int)g.size(); ++v)
            if (idx[v] == -1) dfs(v);
    }
    void dfs(int v) {
        idx[v] = low[v] = timer++;
        st.push_back(v);
        on[v] = 1;
        for (int u : g[v]) {
            if (idx[u] == -1) {
                dfs(u);
                low[v] = min(low[v], low[u]);
            } else if (on[u]) {
                low[v] = min(low[v], idx[u]);
            }
        }
        if (low[v] == idx[v]) {
            while (true) {
                int u = st.back();
                st.pop_back();
                on[u] = 0;
                comp[u] = ncomp;
                if (u == v) break;
            }
            ++ncomp;
        }
    }
};

vector<int> kosaraju(const vector<vector<int>>& g, int& count) {
    int n = g.size();
    vector<vector<int>> rg(n);
    for (int v = 0; v < n; ++v)
        for (int u : g[v]) rg[u].push_back(v);
    vector<int> order;
    vector<char> seen(n, 0);
    for (int s = 0; s < n; ++s) {
        if (seen[s]) continue;
        vector<pair<int, size_t>> stk{{s, 0}};
        seen[s] = 1;
        while (!stk.empty()) {
            auto& [v, i] = stk.back();
            if (i < g[v].size()) {
                int u = g[v][i++];
                if (!seen[u]) {
                    seen[u] = 1;
                    stk.push_back({u, 0});
                }
            } else {
                order.push_back(v);
                stk.pop_back();
            }
        }
    }
    vector<int> comp(n, -1);
    count = 0;
    for (int k = n - 1; k >= 0; --k) {
        int s = order[k];
        if (comp[s] != -1) continue;
        vector<int> stk{s};
        comp[s] = count;
        while (!stk.empty()) {
            int v = stk.back();
            stk.pop_back();
            for (int u : rg[v])
                if (comp[u] == -1) {
                    comp[u] = count;
                    stk.push_back(u);
                }
        }
        ++count;
    }
    return comp;
}

int main() {
    // Directed graph: 30 clusters of 200 vertices, each cluster a cycle with
    // chords, plus forward-only links between clusters.
    const int C = 30, S = 200, N = C * S;
    vector<vector<int>> g(N);
    uint32_t seed = 99;
    auto rnd = [&]() {
        seed = seed * 1664525u + 1013904223u;
        return seed >> 8;
    };
    for (int c = 0; c < C; ++c) {
        int base = c * S;
        int ring = c % 5 == 4 ? S / 2 : S;  // some clusters are only partly cyclic
        for (int i = 0; i < ring; ++i) g[base + i].push_back(base + (i + 1) % ring);
        for (int i = ring; i < S; ++i) g[base + i].push_back(base + (i + 1) % S);
        for (int k = 0; k < 50; ++k) {
            int a = base + (int)(rnd() % ring);
            int b = base + (int)(rnd() % ring);
            g[a].push_back(b);
        }
        if (c + 1 < C)
            for (int k = 0; k < 3; ++k) {
                int a = base + (int)(rnd() % S);
                int b = base + S + (int)(rnd() % S);
                g[a].push_back(b);
            }
    }
    Tarjan t(g);
    int kc = 0;
    auto kcomp = kosaraju(g, kc);
    // Same partition? Compare via canonical labels.
    map<pair<int, int>, int> pairing;
    bool same = t.ncomp == kc;
    for (int v = 0; v < N && same; ++v) {
        auto [it, ins] = pairing.insert({{t.comp[v], 0}, kcomp[v]});
        if (!ins && it->second != kcomp[v]) same = false;
    }
    vector<int> sizes(t.ncomp, 0);
    for (int v = 0; v < N; ++v) ++sizes[t.comp[v]];
    sort(sizes.rbegin(), sizes.rend());
    int singletons = count(sizes.begin(), sizes.end(), 1);
    cout << "SCCs: tarjan " << t.ncomp << ", kosaraju " << kc << ", same partition " << (same ? "yes" : "no") << '\n';
    cout << "largest SCC sizes:";
    for (int i = 0; i < 5; ++i) cout << ' ' << sizes[i];
    cout << ", singletons " << singletons << '\n';
    set<pair<int, int>> dag_edges;
    for (int v = 0; v < N; ++v)
        for (int u : g[v])
            if (t.comp[v] != t.comp[u]) dag_edges.insert({t.comp[v], t.comp[u]});
    cout << "condensation DAG edges: " << dag_edges.size() << '\n';

    // Undirected graph: bridges and articulation points.
    const int M = 2000;
    vector<vector<pair<int, int>>> ug(M);  // (neighbor, edge id)
    int eid = 0;
    auto add_edge = [&](int a, int b) {
        ug[a].push_back({b, eid});
        ug[b].push_back({a, eid});
        ++eid;
    };
    for (int blk = 0; blk < 20; ++blk) {
        int base = blk * 100;
        for (int i = 0; i < 80; ++i) add_edge(base + i, base + (i + 1) % 80);  // 80-cycle
        for (int i = 80; i < 100; ++i) add_edge(base + i - 1 == base + 79 ? base + 5 : base + i - 1, base + i);  // tail
        if (blk) add_edge(base - 100 + 40, base);  // bridge between blocks
    }
    vector<int> tin(M, -1), low(M, 0);
    int timer = 0, bridges = 0;
    set<int> cut;
    function<void(int, int)> dfs = [&](int v, int pe) {
        tin[v] = low[v] = timer++;
        int children = 0;
        for (auto [u, id] : ug[v]) {
            if (id == pe) continue;
            if (tin[u] != -1) {
                low[v] = min(low[v], tin[u]);
            } else {
                dfs(u, id);
                low[v] = min(low[v], low[u]);
                if (low[u] > tin[v]) ++bridges;
                if (low[u] >= tin[v] && pe != -1) cut.insert(v);
                ++children;
            }
        }
        if (pe == -1 && children > 1) cut.insert(v);
    };
    int comps = 0;
    for (int v = 0; v < M; ++v)
        if (tin[v] == -1) {
            dfs(v, -1);
            ++comps;
        }
    cout << "undirected: " << eid << " edges, " << comps << " component(s), " << bridges << " bridges, " << cut.size()
         << " articulation points\n";
    cout << "first articulation points:";
    int shown = 0;
    for (int v : cut) {
        if (shown++ == 8) break;
        cout << ' ' << v;
    }
    cout << '\n';

    // 2-SAT: variables x0..x(n-1); literal 2i = xi, 2i+1 = !xi.
    auto solve2sat = [](int n, const vector<pair<int, int>>& clauses, vector<int>& assign) {
        vector<vector<int>> h(2 * n);
        for (auto [a, b] : clauses) {  // (a or b): !a -> b, !b -> a
            h[a ^ 1].push_back(b);
            h[b ^ 1].push_back(a);
        }
        Tarjan tj(h);
        assign.assign(n, 0);
        for (int i = 0; i < n; ++i) {
            if (tj.comp[2 * i] == tj.comp[2 * i + 1]) return false;
            // Tarjan numbers SCCs in reverse topological order.
            assign[i] = tj.comp[2 * i] < tj.comp[2 * i + 1];
        }
        return true;
    };
    auto lit = [](int v, bool positive) { return 2 * v + (positive ? 0 : 1); };
    vector<pair<int, int>> clauses = {{lit(0, true), lit(1, true)},   {lit(0, false), lit(2, true)},
                                      {lit(1, false), lit(2, false)}, {lit(2, true), lit(3, true)},
                                      {lit(3, false), lit(0, false)}, {lit(1, true), lit(3, true)}};
    vector<int> assign;
    bool sat = solve2sat(4, clauses, assign);
    cout << "2-SAT instance 1: " << (sat ? "satisfiable" : "unsatisfiable");
    if (sat) {
        cout << ", assignment";
        for (int v : assign) cout << ' ' << v;
        bool ok = true;
        for (auto [a, b] : clauses) {
            bool va = assign[a / 2] == !(a & 1), vb = assign[b / 2] == !(b & 1);
            ok = ok && (va || vb);
        }
        cout << ", verified " << (ok ? "yes" : "no");
    }
    cout << '\n';
    clauses.push_back({lit(2, false), lit(2, false)});
    clauses.push_back({lit(0, true), lit(0, true)});
    cout << "2-SAT instance 2: " << (solve2sat(4, clauses, assign) ? "satisfiable" : "unsatisfiable") << '\n';
    return 0;
}
