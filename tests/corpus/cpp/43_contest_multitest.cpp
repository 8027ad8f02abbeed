// Typical multi-test-case contest solution (<bits/stdc++.h>, fast I/O,
// "using namespace std", typedefs). For every test "n k" followed by n
// integers, it prints:
//   - the number of subarrays whose sum equals k (prefix sums + hash map;
//     only counts are taken from the unordered_map, never its order),
//   - the maximum subarray sum and the maximum sum of a window of length
//     min(n, 3),
//   - the number of pairs i<j with a[i] + a[j] == k (sorting + two pointers),
//   - the length of the longest strictly increasing subsequence.
#include <bits/stdc++.h>
using namespace std;

typedef long long ll;
typedef vector<int> vi;
#define all(x) (x).begin(), (x).end()

ll count_subarrays(const vi& a, ll k) {
    unordered_map<ll, int> seen;
    seen.reserve(a.size() * 2 + 1);
    seen[0] = 1;
    ll prefix = 0, res = 0;
    for (int x : a) {
        prefix += x;
        auto it = seen.find(prefix - k);
        if (it != seen.end()) res += it->second;
        ++seen[prefix];
    }
    return res;
}

ll count_pairs(vi a, ll k) {
    sort(all(a));
    ll res = 0;
    int i = 0, j = (int)a.size() - 1;
    while (i < j) {
        ll s = (ll)a[i] + a[j];
        if (s < k) {
            ++i;
        } else if (s > k) {
            --j;
        } else if (a[i] == a[j]) {
            ll m = j - i + 1;
            res += m * (m - 1) / 2;
            break;
        } else {
            int ci = 1, cj = 1;
            while (i + ci < j && a[i + ci] == a[i]) ++ci;
            while (j - cj > i && a[j - cj] == a[j]) ++cj;
            res += (ll)ci * cj;
            i += ci;
            j -= cj;
        }
    }
    return res;
}

int lis_length(const vi& a) {
    vi tails;
    for (int x : a) {
        auto it = lower_bound(all(tails), x);
        if (it == tails.end())
            tails.push_back(x);
        else
            *it = x;
    }
    return (int)tails.size();
}

void solve(int tc) {
    int n;
    ll k;
    cin >> n >> k;
    vi a(n);
    for (auto& x : a) cin >> x;

    ll best = LLONG_MIN, cur = 0;
    for (int x : a) {
        cur = max<ll>(x, cur + x);
        best = max(best, cur);
    }
    int w = min(n, 3);
    ll window = accumulate(a.begin(), a.begin() + w, 0LL), best_window = window;
    for (int i = w; i < n; ++i) {
        window += a[i] - a[i - w];
        best_window = max(best_window, window);
    }
    cout << "Case #" << tc << ": n=" << n << " k=" << k << '\n';
    cout << "  subarrays with sum k: " << count_subarrays(a, k) << '\n';
    cout << "  max subarray sum: " << best << ", best window of " << w << ": " << best_window << '\n';
    cout << "  pairs summing to k: " << count_pairs(a, k) << '\n';
    cout << "  LIS length: " << lis_length(a) << '\n';
}

int main() {
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    int t;
    cin >> t;
    for (int tc = 1; tc <= t; ++tc) solve(tc);
    return 0;
}
