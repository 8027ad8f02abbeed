// Classic dynamic programming in contest style (<bits/stdc++.h>):
// LIS in O(n log n) with reconstruction, 0/1 knapsack (1D table), unbounded
// coin change (count ways and minimum coins), LCS with reconstruction, edit
// distance, matrix-chain multiplication and longest common substring.
#include <bits/stdc++.h>
using namespace std;

vector<int> lis(const vector<int>& a) {
    vector<int> tails, tails_idx, prev(a.size(), -1);
    for (int i = 0; i < (int)a.size(); ++i) {
        int pos = lower_bound(tails.begin(), tails.end(), a[i]) - tails.begin();
        if (pos == (int)tails.size()) {
            tails.push_back(a[i]);
            tails_idx.push_back(i);
        } else {
            tails[pos] = a[i];
            tails_idx[pos] = i;
        }
        prev[i] = pos ? tails_idx[pos - 1] : -1;
    }
    vector<int> seq;
    for (int i = tails_idx.empty() ? -1 : tails_idx.back(); i != -1; i = prev[i]) seq.push_back(a[i]);
    reverse(seq.begin(), seq.end());
    return seq;
}

int main() {
    vector<int> a = {10, 9, 2, 5, 3, 7, 101, 18, 4, 8, 6, 12, 11, 15, 1};
    auto s = lis(a);
    cout << "LIS length " << s.size() << ":";
    for (int x : s) cout << ' ' << x;
    cout << '\n';

    // LIS on 100000 generated values, O(n log n).
    vector<int> big(100000);
    unsigned x = 7;
    for (int& v : big) {
        x = x * 1103515245u + 12345u;
        v = (x >> 10) % 1000000;
    }
    cout << "LIS length of 100000 values: " << lis(big).size() << '\n';

    // 0/1 knapsack.
    vector<int> wt = {12, 7, 11, 8, 9, 5, 14, 6, 3, 10, 4, 13};
    vector<int> val = {24, 13, 23, 15, 16, 9, 30, 11, 5, 19, 8, 26};
    for (int cap : {10, 26, 50, 100}) {
        vector<int> dp(cap + 1, 0);
        for (size_t i = 0; i < wt.size(); ++i)
            for (int c = cap; c >= wt[i]; --c) dp[c] = max(dp[c], dp[c - wt[i]] + val[i]);
        cout << "knapsack capacity " << cap << ": best value " << dp[cap] << '\n';
    }

    // Coin change.
    vector<int> coins = {1, 2, 5, 10, 20, 50, 100, 200};
    const int T = 200;
    vector<long long> ways(T + 1, 0);
    ways[0] = 1;
    for (int c : coins)
        for (int v = c; v <= T; ++v) ways[v] += ways[v - c];
    cout << "ways to make 200 with UK coins: " << ways[T] << '\n';
    vector<int> odd_coins = {1, 7, 10, 22};
    vector<int> mn(101, INT_MAX);
    mn[0] = 0;
    for (int v = 1; v <= 100; ++v)
        for (int c : odd_coins)
            if (c <= v && mn[v - c] != INT_MAX) mn[v] = min(mn[v], mn[v - c] + 1);
    cout << "min coins {1,7,10,22}: 14->" << mn[14] << " 44->" << mn[44] << " 99->" << mn[99] << '\n';

    // LCS with reconstruction.
    string p = "AGGTABQMZXYTTAGC", q = "GXTXAYBMQZTTAACG";
    int n = p.size(), m = q.size();
    vector<vector<int>> L(n + 1, vector<int>(m + 1, 0));
    for (int i = 1; i <= n; ++i)
        for (int j = 1; j <= m; ++j)
            L[i][j] = p[i - 1] == q[j - 1] ? L[i - 1][j - 1] + 1 : max(L[i - 1][j], L[i][j - 1]);
    string lcs;
    for (int i = n, j = m; i > 0 && j > 0;) {
        if (p[i - 1] == q[j - 1]) {
            lcs += p[i - 1];
            --i;
            --j;
        } else if (L[i - 1][j] >= L[i][j - 1]) {
            --i;
        } else {
            --j;
        }
    }
    reverse(lcs.begin(), lcs.end());
    cout << "LCS(" << p << ", " << q << ") = " << lcs << " (length " << L[n][m] << ")\n";

    // Edit distance.
    auto edit = [](const string& u, const string& v) {
        vector<int> prev(v.size() + 1), cur(v.size() + 1);
        iota(prev.begin(), prev.end(), 0);
        for (size_t i = 1; i <= u.size(); ++i) {
            cur[0] = i;
            for (size_t j = 1; j <= v.size(); ++j)
                cur[j] = min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (u[i - 1] != v[j - 1])});
            swap(prev, cur);
        }
        return prev[v.size()];
    };
    vector<pair<string, string>> pairs = {{"kitten", "sitting"}, {"sunday", "saturday"}, {"", "abc"},
                                          {"intention", "execution"}, {"algorithm", "altruistic"}};
    for (auto& [u, v] : pairs) cout << "edit(\"" << u << "\", \"" << v << "\") = " << edit(u, v) << '\n';

    // Matrix-chain multiplication with parenthesization.
    vector<int> dims = {30, 35, 15, 5, 10, 20, 25};
    int k = dims.size() - 1;
    vector<vector<long long>> cost(k, vector<long long>(k, 0));
    vector<vector<int>> split(k, vector<int>(k, 0));
    for (int len = 2; len <= k; ++len)
        for (int i = 0; i + len - 1 < k; ++i) {
            int j = i + len - 1;
            cost[i][j] = LLONG_MAX;
            for (int t = i; t < j; ++t) {
                long long c = cost[i][t] + cost[t + 1][j] + (long long)dims[i] * dims[t + 1] * dims[j + 1];
                if (c < cost[i][j]) {
                    cost[i][j] = c;
                    split[i][j] = t;
                }
            }
        }
    function<string(int, int)> paren = [&](int i, int j) -> string {
        if (i == j) return string(1, char('A' + i));
        return "(" + paren(i, split[i][j]) + paren(split[i][j] + 1, j) + ")";
    };
    cout << "matrix chain: " << cost[0][k - 1] << " multiplications, order " << paren(0, k - 1) << '\n';

    // Longest common substring.
    string u = "xabxacxabcabcdqwer", v = "zzabcabcdxabxz";
    int best = 0, end_at = 0;
    vector<int> row(v.size() + 1, 0), nrow(v.size() + 1, 0);
    for (size_t i = 1; i <= u.size(); ++i) {
        for (size_t j = 1; j <= v.size(); ++j) {
            nrow[j] = u[i - 1] == v[j - 1] ? row[j - 1] + 1 : 0;
            if (nrow[j] > best) {
                best = nrow[j];
                end_at = i;
            }
        }
        swap(row, nrow);
    }
    cout << "longest common substring: " << u.substr(end_at - best, best) << '\n';
    return 0;
}
