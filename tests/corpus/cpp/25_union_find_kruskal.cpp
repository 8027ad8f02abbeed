// Disjoint-set union with path compression and union by size: Kruskal's
// minimum spanning tree on a generated graph (edges sorted by a total
// order), counting components as edges arrive, percolation on a grid, and
// offline connectivity queries. Uses <bits/stdc++.h>.
#include <bits/stdc++.h>
using namespace std;

struct DSU {
    vector<int> parent, sz;
    int sets;
    explicit DSU(int n) : parent(n), sz(n, 1), sets(n) { iota(parent.begin(), parent.end(), 0); }
    int find(int x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }
    bool unite(int a, int b) {
        a = find(a);
        b = find(b);
        if (a == b) return false;
        if (sz[a] < sz[b]) swap(a, b);
        parent[b] = a;
        sz[a] += sz[b];
        --sets;
        return true;
    }
    bool same(int a, int b) { return find(a) == find(b); }
    int size_of(int x) { return sz[find(x)]; }
};

int main() {
    // Kruskal on 50,000 vertices and 200,000 edges.
    const int N = 50000, M = 200000;
    uint32_t s = 123456789u;
    auto rnd = [&]() {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        return s;
    };
    vector<tuple<int, int, int>> edges;  // (w, u, v) - tuple order is total
    edges.reserve(M + N);
    // Each rnd() call is a separate statement: the evaluation order of
    // function arguments is unspecified and differs between compilers.
    for (int i = 1; i < N; ++i) {
        int w = 1000000 + (int)(rnd() % 1000);
        int u = (int)(rnd() % i);
        edges.emplace_back(w, u, i);
    }
    for (int i = 0; i < M; ++i) {
        int w = (int)(rnd() % 1000000);
        int u = (int)(rnd() % N);
        int v = (int)(rnd() % N);
        edges.emplace_back(w, u, v);
    }
    sort(edges.begin(), edges.end());

    DSU dsu(N);
    long long mst = 0;
    int used = 0, heaviest = 0;
    vector<int> sets_after;
    for (size_t i = 0; i < edges.size(); ++i) {
        auto [w, u, v] = edges[i];
        if (dsu.unite(u, v)) {
            mst += w;
            ++used;
            heaviest = w;
        }
        if ((i + 1) % 50000 == 0) sets_after.push_back(dsu.sets);
    }
    cout << "MST weight " << mst << " using " << used << " edges, heaviest " << heaviest << '\n';
    cout << "components after each 50000 edges:";
    for (int c : sets_after) cout << ' ' << c;
    cout << '\n';
    assert(used == N - 1 && dsu.sets == 1);

    // Small example with a printed tree (classic textbook graph).
    vector<tuple<int, char, char>> small = {{7, 'A', 'B'}, {5, 'A', 'D'}, {8, 'B', 'C'}, {9, 'B', 'D'},
                                            {7, 'B', 'E'}, {5, 'C', 'E'}, {15, 'D', 'E'}, {6, 'D', 'F'},
                                            {8, 'E', 'F'}, {9, 'E', 'G'}, {11, 'F', 'G'}};
    sort(small.begin(), small.end());
    DSU d2(7);
    int total = 0;
    cout << "textbook MST:";
    for (auto [w, a, b] : small)
        if (d2.unite(a - 'A', b - 'A')) {
            cout << ' ' << a << b << '(' << w << ')';
            total += w;
        }
    cout << " total " << total << '\n';
    assert(total == 39);

    // Percolation: open random cells of a 200x200 grid until top connects
    // to bottom (virtual top/bottom nodes).
    const int G = 200;
    DSU perc(G * G + 2);
    const int TOP = G * G, BOTTOM = G * G + 1;
    vector<char> open(G * G, 0);
    vector<int> order(G * G);
    iota(order.begin(), order.end(), 0);
    for (int i = G * G - 1; i > 0; --i) swap(order[i], order[rnd() % (i + 1)]);
    int opened = 0;
    for (int cell : order) {
        open[cell] = 1;
        ++opened;
        int r = cell / G, c = cell % G;
        if (r == 0) perc.unite(cell, TOP);
        if (r == G - 1) perc.unite(cell, BOTTOM);
        const int dr[] = {1, -1, 0, 0}, dc[] = {0, 0, 1, -1};
        for (int k = 0; k < 4; ++k) {
            int nr = r + dr[k], nc = c + dc[k];
            if (nr >= 0 && nr < G && nc >= 0 && nc < G && open[nr * G + nc]) perc.unite(cell, nr * G + nc);
        }
        if (perc.same(TOP, BOTTOM)) break;
    }
    cout << "percolates after opening " << opened << " of " << G * G << " cells (" << opened * 1000 / (G * G)
         << " per mille)\n";

    // Offline queries: are pairs connected after only edges with w < limit?
    DSU d3(N);
    vector<pair<int, pair<int, int>>> queries = {{100, {1, 2}}, {300000, {10, 20}}, {600000, {5, 49999}}, {999999, {0, 49999}}};
    size_t ptr = 0;
    for (auto& [limit, pr] : queries) {
        while (ptr < edges.size() && get<0>(edges[ptr]) < limit) {
            d3.unite(get<1>(edges[ptr]), get<2>(edges[ptr]));
            ++ptr;
        }
        cout << "limit " << limit << ": " << pr.first << "~" << pr.second << " = " << d3.same(pr.first, pr.second)
             << ", component of " << pr.first << " has " << d3.size_of(pr.first) << " vertices, sets " << d3.sets
             << '\n';
    }
    return 0;
}
