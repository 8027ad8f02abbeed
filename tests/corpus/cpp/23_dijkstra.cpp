// Dijkstra's shortest paths (binary heap with lazy deletion) in the usual
// competitive-programming style: read a weighted directed graph from stdin,
// print distances and one shortest path per vertex, then run on a
// generated 20,000-vertex graph and cross-check with Bellman-Ford on a
// smaller one.
#include <bits/stdc++.h>
using namespace std;

typedef long long ll;
const ll INF = LLONG_MAX / 4;

struct Edge {
    int to;
    ll w;
};

pair<vector<ll>, vector<int>> dijkstra(const vector<vector<Edge>>& g, int src) {
    int n = g.size();
    vector<ll> dist(n, INF);
    vector<int> par(n, -1);
    priority_queue<pair<ll, int>, vector<pair<ll, int>>, greater<pair<ll, int>>> pq;
    dist[src] = 0;
    pq.push({0, src});
    while (!pq.empty()) {
        auto [d, u] = pq.top();
        pq.pop();
        if (d != dist[u]) continue;
        for (const Edge& e : g[u]) {
            // Strict improvement, ties broken towards the smaller parent id
            // so the reported path does not depend on heap internals.
            ll nd = d + e.w;
            if (nd < dist[e.to] || (nd == dist[e.to] && u < par[e.to])) {
                bool improved = nd < dist[e.to];
                dist[e.to] = nd;
                par[e.to] = u;
                if (improved) pq.push({nd, e.to});
            }
        }
    }
    return {dist, par};
}

vector<ll> bellman_ford(int n, const vector<array<ll, 3>>& edges, int src) {
    vector<ll> dist(n, INF);
    dist[src] = 0;
    for (int it = 0; it < n - 1; ++it) {
        bool changed = false;
        for (auto& [u, v, w] : edges)
            if (dist[u] < INF && dist[u] + w < dist[v]) {
                dist[v] = dist[u] + w;
                changed = true;
            }
        if (!changed) break;
    }
    return dist;
}

int main() {
    ios::sync_with_stdio(false);
    cin.tie(nullptr);

    int n, m;
    cin >> n >> m;
    vector<vector<Edge>> g(n + 1);
    for (int i = 0; i < m; ++i) {
        int u, v;
        ll w;
        cin >> u >> v >> w;
        g[u].push_back({v, w});
    }
    int s;
    cin >> s;
    auto [dist, par] = dijkstra(g, s);
    for (int v = 1; v <= n; ++v) {
        cout << "dist(" << s << "," << v << ") = ";
        if (dist[v] >= INF) {
            cout << "unreachable\n";
            continue;
        }
        cout << dist[v] << "  path:";
        vector<int> path;
        for (int x = v; x != -1; x = par[x]) path.push_back(x);
        reverse(path.begin(), path.end());
        for (int x : path) cout << ' ' << x;
        cout << '\n';
    }

    // Generated graph: 20000 vertices, ~100000 edges, xorshift weights.
    uint64_t st = 88172645463325252ULL;
    auto rnd = [&]() {
        st ^= st << 13;
        st ^= st >> 7;
        st ^= st << 17;
        return st;
    };
    const int N = 20000;
    vector<vector<Edge>> big(N);
    for (int v = 0; v + 1 < N; ++v) big[v].push_back({v + 1, (ll)(rnd() % 1000) + 500});
    for (int i = 0; i < 80000; ++i) {
        int u = rnd() % N, v = rnd() % N;
        big[u].push_back({v, (ll)(rnd() % 100000)});
    }
    auto [bd, bp] = dijkstra(big, 0);
    ll reach = 0, total = 0, far = 0;
    for (int v = 0; v < N; ++v)
        if (bd[v] < INF) {
            ++reach;
            total += bd[v];
            far = max(far, bd[v]);
        }
    cout << "generated: reachable " << reach << ", sum of distances " << total << ", farthest " << far << '\n';
    cout << "dist to 19999 = " << bd[N - 1] << ", dist to 12345 = " << bd[12345] << '\n';

    // Cross-check against Bellman-Ford on a 600 vertex graph.
    const int B = 600;
    vector<vector<Edge>> small(B);
    vector<array<ll, 3>> edges;
    for (int i = 0; i < 4000; ++i) {
        int u = rnd() % B, v = rnd() % B;
        ll w = rnd() % 50;
        small[u].push_back({v, w});
        edges.push_back({u, v, w});
    }
    auto d1 = dijkstra(small, 0).first;
    auto d2 = bellman_ford(B, edges, 0);
    cout << "dijkstra == bellman-ford on 600 vertices: " << (d1 == d2 ? "yes" : "no") << '\n';
    ll sm = 0;
    for (ll d : d1)
        if (d < INF) sm += d;
    cout << "sum of small distances " << sm << '\n';
    return 0;
}
