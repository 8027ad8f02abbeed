// Deep (but bounded) recursion with small frames: recursive sum and
// recursive list length to depth 50,000, a recursive DFS over a 50,000
// vertex path-shaped graph, memoized recursion, and mutual recursion.
// The deepest chain is 50,000 frames, well inside an 8 MiB stack.
#include <cassert>
#include <cstdint>
#include <iostream>
#include <vector>

long long recursive_sum(int n) {
    if (n == 0) return 0;
    return n + recursive_sum(n - 1);
}

// Non-tail recursion that also does work after the call returns.
long long recursive_weighted(const std::vector<int>& a, int i) {
    if (i == static_cast<int>(a.size())) return 0;
    long long rest = recursive_weighted(a, i + 1);
    return rest * 3 % 1000000007LL + a[i];
}

struct ListNode {
    int value;
    int next;  // index, -1 terminates
};

int list_length(const std::vector<ListNode>& nodes, int head) {
    if (head < 0) return 0;
    return 1 + list_length(nodes, nodes[head].next);
}

std::vector<std::vector<int>> adj;
std::vector<int> order_in, depth_of;
std::vector<char> visited;
int timer_ = 0;
int max_depth = 0;

void dfs(int v, int d) {
    visited[v] = 1;
    order_in[v] = timer_++;
    depth_of[v] = d;
    if (d > max_depth) max_depth = d;
    for (int u : adj[v])
        if (!visited[u]) dfs(u, d + 1);
}

std::vector<long long> memo;
long long ways(int n) {  // tribonacci-like count, memoized, recursion depth n
    if (n < 0) return 0;
    if (n == 0) return 1;
    if (memo[n] >= 0) return memo[n];
    return memo[n] = (ways(n - 1) + ways(n - 2) + ways(n - 3)) % 1000000007LL;
}

bool is_even(int n);
bool is_odd(int n) { return n == 0 ? false : is_even(n - 1); }
bool is_even(int n) { return n == 0 ? true : is_odd(n - 1); }

int gcd_rec(long long a, long long b, int& calls) {
    ++calls;
    return b == 0 ? static_cast<int>(a) : gcd_rec(b, a % b, calls);
}

int main() {
    const int N = 50000;

    long long s = recursive_sum(N);
    std::cout << "recursive_sum(" << N << ") = " << s << '\n';
    assert(s == 1LL * N * (N + 1) / 2);

    std::vector<int> a(N);
    for (int i = 0; i < N; ++i) a[i] = (i * 7 + 3) % 101;
    std::cout << "recursive_weighted = " << recursive_weighted(a, 0) << '\n';

    std::vector<ListNode> nodes(N);
    for (int i = 0; i < N; ++i) nodes[i] = {i, i + 1 < N ? i + 1 : -1};
    std::cout << "list_length = " << list_length(nodes, 0) << '\n';

    // A path 0-1-2-...-(N-1) with a few extra chords; DFS from 0 goes deep.
    adj.assign(N, {});
    for (int i = 0; i + 1 < N; ++i) {
        adj[i].push_back(i + 1);
        adj[i + 1].push_back(i);
    }
    for (int i = 0; i + 1000 < N; i += 1000) {
        adj[i].push_back(i + 1000);
        adj[i + 1000].push_back(i);
    }
    order_in.assign(N, -1);
    depth_of.assign(N, -1);
    visited.assign(N, 0);
    dfs(0, 0);
    int reached = 0;
    for (char c : visited) reached += c;
    std::cout << "dfs reached " << reached << " vertices, max depth " << max_depth << '\n';
    std::cout << "depth of 49999 = " << depth_of[N - 1] << ", entry time of 25000 = " << order_in[25000] << '\n';

    memo.assign(N + 1, -1);
    // Fill the memo bottom-up in chunks to keep the recursion short for most
    // calls, then make one deep call chain of length 40,000.
    for (int i = 0; i <= 10000; i += 100) ways(i);
    std::cout << "ways(10000) = " << ways(10000) << '\n';
    std::cout << "ways(" << N << ") = " << ways(N) << '\n';

    std::cout << "is_even(49999) = " << is_even(49999) << ", is_odd(49999) = " << is_odd(49999) << '\n';

    int calls = 0;
    int g = gcd_rec(1836311903LL, 1134903170LL, calls);  // consecutive Fibonacci numbers
    std::cout << "gcd(F46, F45) = " << g << " after " << calls << " calls\n";
    return 0;
}
