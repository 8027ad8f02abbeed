// std::priority_queue and std::deque workloads: k-way merge of sorted runs,
// running median with two heaps, top-k with a min-heap, sliding-window
// maximum with a monotonic deque, a deque used as a 0-1 BFS buffer, and a
// simple event simulation. Heap elements always carry a total order so
// the pop sequence is fully determined.
#include <cassert>
#include <cstdint>
#include <deque>
#include <functional>
#include <iostream>
#include <queue>
#include <tuple>
#include <vector>

std::uint64_t lcg_state = 42;
int next_rand(int mod) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((lcg_state >> 33) % static_cast<std::uint64_t>(mod));
}

int main() {
    // 1) Top-k of 500,000 values with a min-heap of size 10.
    std::priority_queue<int, std::vector<int>, std::greater<int>> topk;
    long long total = 0;
    for (int i = 0; i < 500000; ++i) {
        int v = next_rand(100000000);
        total += v;
        topk.push(v);
        if (topk.size() > 10) topk.pop();
    }
    std::vector<int> best;
    while (!topk.empty()) {
        best.push_back(topk.top());
        topk.pop();
    }
    std::cout << "sum " << total << ", top 10 ascending:";
    for (int v : best) std::cout << ' ' << v;
    std::cout << '\n';

    // 2) k-way merge of 50 sorted runs of length 2000.
    std::vector<std::vector<int>> runs(50);
    for (int r = 0; r < 50; ++r) {
        int cur = next_rand(100);
        for (int i = 0; i < 2000; ++i) {
            cur += next_rand(50);
            runs[r].push_back(cur);
        }
    }
    using Item = std::tuple<int, int, int>;  // value, run, index -> total order
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> pq;
    for (int r = 0; r < 50; ++r) pq.emplace(runs[r][0], r, 0);
    long long merged_checksum = 0;
    int prev = -1, merged = 0;
    bool sorted = true;
    while (!pq.empty()) {
        auto [v, r, i] = pq.top();
        pq.pop();
        if (v < prev) sorted = false;
        prev = v;
        merged_checksum = (merged_checksum * 31 + v + r) % 1000000007;
        ++merged;
        if (i + 1 < 2000) pq.emplace(runs[r][i + 1], r, i + 1);
    }
    std::cout << "merged " << merged << " values, sorted " << sorted << ", checksum " << merged_checksum << '\n';

    // 3) Running median with two heaps.
    std::priority_queue<int> low;
    std::priority_queue<int, std::vector<int>, std::greater<int>> high;
    long long median_sum = 0;
    for (int i = 0; i < 100000; ++i) {
        int v = next_rand(1000000);
        if (low.empty() || v <= low.top())
            low.push(v);
        else
            high.push(v);
        if (low.size() > high.size() + 1) {
            high.push(low.top());
            low.pop();
        } else if (high.size() > low.size()) {
            low.push(high.top());
            high.pop();
        }
        median_sum += low.top();
        if (i == 9 || i == 999 || i == 99999) std::cout << "median after " << i + 1 << " values: " << low.top() << '\n';
    }
    std::cout << "sum of running medians " << median_sum << '\n';

    // 4) Sliding-window maximum with a monotonic deque.
    const int W = 1000;
    std::vector<int> a(300000);
    for (int& x : a) x = next_rand(1000000);
    std::deque<int> dq;
    long long window_sum = 0;
    int windows = 0;
    for (int i = 0; i < static_cast<int>(a.size()); ++i) {
        while (!dq.empty() && a[dq.back()] <= a[i]) dq.pop_back();
        dq.push_back(i);
        if (dq.front() <= i - W) dq.pop_front();
        if (i >= W - 1) {
            window_sum += a[dq.front()];
            ++windows;
        }
    }
    std::cout << "windows " << windows << ", sum of window maxima " << window_sum << '\n';

    // 5) 0-1 BFS on a 400x400 grid: moving onto '#' costs 1, '.' costs 0.
    const int R = 400, C = 400;
    std::vector<std::vector<char>> g(R, std::vector<char>(C));
    for (auto& row : g)
        for (auto& c : row) c = next_rand(100) < 35 ? '#' : '.';
    std::vector<std::vector<int>> dist(R, std::vector<int>(C, 1 << 30));
    std::deque<std::pair<int, int>> bfs;
    dist[0][0] = 0;
    bfs.emplace_back(0, 0);
    const int dr[] = {1, -1, 0, 0}, dc[] = {0, 0, 1, -1};
    while (!bfs.empty()) {
        auto [r, c] = bfs.front();
        bfs.pop_front();
        for (int d = 0; d < 4; ++d) {
            int nr = r + dr[d], nc = c + dc[d];
            if (nr < 0 || nc < 0 || nr >= R || nc >= C) continue;
            int w = g[nr][nc] == '#';
            if (dist[r][c] + w < dist[nr][nc]) {
                dist[nr][nc] = dist[r][c] + w;
                if (w)
                    bfs.emplace_back(nr, nc);
                else
                    bfs.emplace_front(nr, nc);
            }
        }
    }
    std::cout << "0-1 BFS: walls to corner " << dist[R - 1][C - 1] << ", to centre " << dist[R / 2][C / 2] << '\n';

    // 6) Deque as a rotating buffer (Josephus problem, n=41, k=3).
    std::deque<int> circle;
    for (int i = 1; i <= 41; ++i) circle.push_back(i);
    std::cout << "josephus order tail:";
    int out = 0;
    while (circle.size() > 1) {
        for (int s = 0; s < 2; ++s) {
            circle.push_back(circle.front());
            circle.pop_front();
        }
        ++out;
        if (out > 36) std::cout << ' ' << circle.front();
        circle.pop_front();
    }
    std::cout << " | survivor " << circle.front() << '\n';
    assert(circle.front() == 31);

    // 7) Event simulation: (time, id) pairs, earliest first.
    std::priority_queue<std::pair<int, int>, std::vector<std::pair<int, int>>, std::greater<>> events;
    for (int id = 0; id < 5; ++id) events.emplace(id * 3, id);
    int processed = 0, last_time = 0;
    while (!events.empty() && processed < 40) {
        auto [t, id] = events.top();
        events.pop();
        last_time = t;
        ++processed;
        if (processed <= 8) std::cout << "event t=" << t << " id=" << id << '\n';
        events.emplace(t + 2 + id, id);
    }
    std::cout << "processed " << processed << " events, last time " << last_time << '\n';
    return 0;
}
