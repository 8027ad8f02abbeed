// Breadth-first and depth-first search: shortest path in a character maze
// with path reconstruction, connected components by iterative DFS (explicit
// stack), bipartiteness check, Kahn topological sort with a min-heap for a
// unique order, and cycle detection with three-colour recursive DFS.
#include <algorithm>
#include <cassert>
#include <functional>
#include <iostream>
#include <queue>
#include <stack>
#include <string>
#include <vector>

int main() {
    std::vector<std::string> maze = {
        "S.#.......#.........",
        ".##.#####.#.#######.",
        "....#...#...#.....#.",
        "#####.#.#####.###.#.",
        "#.....#.......#...#.",
        "#.#############.###.",
        "#.#.........#...#...",
        "#.#.#######.#.###...",
        "#...#.....#.#.....#E",
        "#####.###.#.#######.",
    };
    const int R = maze.size(), C = maze[0].size();
    std::vector<std::vector<int>> dist(R, std::vector<int>(C, -1));
    std::vector<std::vector<std::pair<int, int>>> from(R, std::vector<std::pair<int, int>>(C, {-1, -1}));
    std::queue<std::pair<int, int>> q;
    q.push({0, 0});
    dist[0][0] = 0;
    const int dr[] = {0, 1, 0, -1}, dc[] = {1, 0, -1, 0};
    int er = -1, ec = -1;
    while (!q.empty()) {
        auto [r, c] = q.front();
        q.pop();
        if (maze[r][c] == 'E') {
            er = r;
            ec = c;
            break;
        }
        for (int d = 0; d < 4; ++d) {
            int nr = r + dr[d], nc = c + dc[d];
            if (nr < 0 || nc < 0 || nr >= R || nc >= C || maze[nr][nc] == '#' || dist[nr][nc] != -1) continue;
            dist[nr][nc] = dist[r][c] + 1;
            from[nr][nc] = {r, c};
            q.push({nr, nc});
        }
    }
    if (er < 0) {
        std::cout << "maze has no path\n";
        return 0;
    }
    std::cout << "maze shortest path length: " << dist[er][ec] << '\n';
    for (auto p = from[er][ec]; p.first != -1; p = from[p.first][p.second])
        if (maze[p.first][p.second] == '.') maze[p.first][p.second] = '*';
    for (const auto& row : maze) std::cout << "  " << row << '\n';

    // Connected components of a generated graph (edges i -> i+11 and i -> i+97
    // under arithmetic conditions).
    const int N = 3000;
    std::vector<std::vector<int>> adj(N);
    auto add = [&](int a, int b) {
        adj[a].push_back(b);
        adj[b].push_back(a);
    };
    for (int i = 0; i < N; ++i) {
        if (i + 11 < N && (i * 37) % 5 != 0) add(i, i + 11);
        if (i + 97 < N && i % 13 == 0) add(i, i + 97);
    }
    std::vector<int> comp(N, -1);
    int components = 0, largest = 0;
    for (int s = 0; s < N; ++s) {
        if (comp[s] != -1) continue;
        int size = 0;
        std::stack<int> st;
        st.push(s);
        comp[s] = components;
        while (!st.empty()) {
            int v = st.top();
            st.pop();
            ++size;
            for (int u : adj[v])
                if (comp[u] == -1) {
                    comp[u] = components;
                    st.push(u);
                }
        }
        largest = std::max(largest, size);
        ++components;
    }
    std::cout << "components: " << components << ", largest: " << largest << '\n';
    std::cout << "0 and 2057 connected: " << (comp[0] == comp[2057] ? "yes" : "no") << '\n';

    // Bipartite check by BFS colouring on two graphs.
    auto bipartite = [](const std::vector<std::vector<int>>& g) {
        std::vector<int> color(g.size(), -1);
        for (std::size_t s = 0; s < g.size(); ++s) {
            if (color[s] != -1) continue;
            color[s] = 0;
            std::queue<int> bq;
            bq.push(static_cast<int>(s));
            while (!bq.empty()) {
                int v = bq.front();
                bq.pop();
                for (int u : g[v]) {
                    if (color[u] == -1) {
                        color[u] = color[v] ^ 1;
                        bq.push(u);
                    } else if (color[u] == color[v]) {
                        return false;
                    }
                }
            }
        }
        return true;
    };
    std::vector<std::vector<int>> even_cycle(10), odd_cycle(9);
    for (int i = 0; i < 10; ++i) {
        even_cycle[i].push_back((i + 1) % 10);
        even_cycle[(i + 1) % 10].push_back(i);
    }
    for (int i = 0; i < 9; ++i) {
        odd_cycle[i].push_back((i + 1) % 9);
        odd_cycle[(i + 1) % 9].push_back(i);
    }
    std::cout << "C10 bipartite: " << bipartite(even_cycle) << ", C9 bipartite: " << bipartite(odd_cycle)
              << ", generated graph bipartite: " << bipartite(adj) << '\n';

    // Topological order of tasks (smallest available id first).
    const std::vector<std::pair<int, int>> deps = {{0, 3}, {1, 3}, {3, 4}, {2, 4}, {4, 7}, {5, 6},
                                                   {6, 7}, {7, 8}, {1, 5}, {9, 2}, {9, 0}};
    const int T = 10;
    std::vector<std::vector<int>> dag(T);
    std::vector<int> indeg(T, 0);
    for (auto [a, b] : deps) {
        dag[a].push_back(b);
        ++indeg[b];
    }
    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (int i = 0; i < T; ++i)
        if (indeg[i] == 0) ready.push(i);
    std::vector<int> order;
    while (!ready.empty()) {
        int v = ready.top();
        ready.pop();
        order.push_back(v);
        for (int u : dag[v])
            if (--indeg[u] == 0) ready.push(u);
    }
    std::cout << "topological order:";
    for (int v : order) std::cout << ' ' << v;
    std::cout << '\n';
    assert(static_cast<int>(order.size()) == T);

    // Cycle detection with colours (recursive DFS via std::function).
    auto has_cycle = [](const std::vector<std::vector<int>>& g) {
        std::vector<int> state(g.size(), 0);
        std::function<bool(int)> visit = [&](int v) {
            state[v] = 1;
            for (int u : g[v]) {
                if (state[u] == 1) return true;
                if (state[u] == 0 && visit(u)) return true;
            }
            state[v] = 2;
            return false;
        };
        for (std::size_t v = 0; v < g.size(); ++v)
            if (state[v] == 0 && visit(static_cast<int>(v))) return true;
        return false;
    };
    std::cout << "task graph has cycle: " << has_cycle(dag) << '\n';
    dag[8].push_back(1);
    std::cout << "after adding 8->1: " << has_cycle(dag) << '\n';
    return 0;
}
