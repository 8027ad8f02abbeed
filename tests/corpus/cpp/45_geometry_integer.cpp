// Computational geometry with exact 64-bit integer arithmetic
// (<bits/stdc++.h>): Andrew's monotone-chain convex hull, shoelace area
// (printed as twice the area), lattice points via Pick's theorem,
// point-in-polygon tests, segment intersection, closest pair of points by
// divide and conquer (squared distance) and the hull diameter by rotating
// calipers, all checked against brute force where feasible.
#include <bits/stdc++.h>
using namespace std;

typedef long long ll;
struct P {
    ll x, y;
    bool operator<(const P& o) const { return x != o.x ? x < o.x : y < o.y; }
    bool operator==(const P& o) const { return x == o.x && y == o.y; }
    P operator-(const P& o) const { return {x - o.x, y - o.y}; }
};
ll cross(P a, P b) { return a.x * b.y - a.y * b.x; }
ll cross(P o, P a, P b) { return cross(a - o, b - o); }
ll dist2(P a, P b) { return (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y); }

vector<P> convex_hull(vector<P> pts) {
    sort(pts.begin(), pts.end());
    pts.erase(unique(pts.begin(), pts.end()), pts.end());
    if (pts.size() < 3) return pts;
    vector<P> h(2 * pts.size());
    int k = 0;
    for (size_t i = 0; i < pts.size(); ++i) {
        while (k >= 2 && cross(h[k - 2], h[k - 1], pts[i]) <= 0) --k;
        h[k++] = pts[i];
    }
    for (int i = (int)pts.size() - 2, t = k + 1; i >= 0; --i) {
        while (k >= t && cross(h[k - 2], h[k - 1], pts[i]) <= 0) --k;
        h[k++] = pts[i];
    }
    h.resize(k - 1);
    return h;
}

ll twice_area(const vector<P>& poly) {
    ll s = 0;
    for (size_t i = 0; i < poly.size(); ++i) s += cross(poly[i], poly[(i + 1) % poly.size()]);
    return llabs(s);
}

ll boundary_points(const vector<P>& poly) {
    ll b = 0;
    for (size_t i = 0; i < poly.size(); ++i) {
        P d = poly[(i + 1) % poly.size()] - poly[i];
        b += gcd(llabs(d.x), llabs(d.y));
    }
    return b;
}

// 1 inside, 0 on boundary, -1 outside (works for any simple polygon).
int point_in_polygon(const vector<P>& poly, P q) {
    bool inside = false;
    for (size_t i = 0, n = poly.size(); i < n; ++i) {
        P a = poly[i], b = poly[(i + 1) % n];
        if (cross(a, b, q) == 0 && min(a.x, b.x) <= q.x && q.x <= max(a.x, b.x) && min(a.y, b.y) <= q.y &&
            q.y <= max(a.y, b.y))
            return 0;
        if ((a.y > q.y) != (b.y > q.y)) {
            // x-coordinate of the crossing compared without division
            ll lhs = (q.x - a.x) * (b.y - a.y), rhs = (b.x - a.x) * (q.y - a.y);
            if (b.y > a.y ? lhs < rhs : lhs > rhs) inside = !inside;
        }
    }
    return inside ? 1 : -1;
}

int sgn(ll v) { return (v > 0) - (v < 0); }
bool on_segment(P a, P b, P p) {
    return min(a.x, b.x) <= p.x && p.x <= max(a.x, b.x) && min(a.y, b.y) <= p.y && p.y <= max(a.y, b.y);
}
bool segments_intersect(P a, P b, P c, P d) {
    int d1 = sgn(cross(c, d, a)), d2 = sgn(cross(c, d, b)), d3 = sgn(cross(a, b, c)), d4 = sgn(cross(a, b, d));
    if (d1 * d2 < 0 && d3 * d4 < 0) return true;
    return (d1 == 0 && on_segment(c, d, a)) || (d2 == 0 && on_segment(c, d, b)) || (d3 == 0 && on_segment(a, b, c)) ||
           (d4 == 0 && on_segment(a, b, d));
}

ll closest_rec(vector<P>& p, int l, int r) {  // p sorted by x on [l, r); leaves it sorted by y
    if (r - l <= 3) {
        ll best = LLONG_MAX;
        for (int i = l; i < r; ++i)
            for (int j = i + 1; j < r; ++j) best = min(best, dist2(p[i], p[j]));
        sort(p.begin() + l, p.begin() + r, [](const P& a, const P& b) { return a.y != b.y ? a.y < b.y : a.x < b.x; });
        return best;
    }
    int m = (l + r) / 2;
    ll midx = p[m].x;
    ll best = min(closest_rec(p, l, m), closest_rec(p, m, r));
    inplace_merge(p.begin() + l, p.begin() + m, p.begin() + r,
                  [](const P& a, const P& b) { return a.y != b.y ? a.y < b.y : a.x < b.x; });
    vector<P> strip;
    for (int i = l; i < r; ++i)
        if ((p[i].x - midx) * (p[i].x - midx) < best) {
            for (int j = (int)strip.size() - 1; j >= 0 && (p[i].y - strip[j].y) * (p[i].y - strip[j].y) < best; --j)
                best = min(best, dist2(p[i], strip[j]));
            strip.push_back(p[i]);
        }
    return best;
}

ll diameter2(const vector<P>& h) {
    int n = h.size();
    if (n == 1) return 0;
    if (n == 2) return dist2(h[0], h[1]);
    ll best = 0;
    for (int i = 0, j = 1; i < n; ++i) {
        while (cross(h[i], h[(i + 1) % n], h[(j + 1) % n]) > cross(h[i], h[(i + 1) % n], h[j])) j = (j + 1) % n;
        best = max({best, dist2(h[i], h[j]), dist2(h[(i + 1) % n], h[j])});
    }
    return best;
}

int main() {
    vector<P> square = {{0, 0}, {4, 0}, {4, 4}, {0, 4}, {2, 2}, {1, 3}, {4, 2}, {0, 0}};
    auto hs = convex_hull(square);
    cout << "hull of square-ish set:";
    for (auto& p : hs) cout << " (" << p.x << "," << p.y << ")";
    cout << "\ntwice area " << twice_area(hs) << ", boundary lattice points " << boundary_points(hs) << '\n';

    vector<P> poly = {{0, 0}, {10, 0}, {10, 10}, {5, 4}, {0, 10}};  // non-convex "M" shape
    ll A2 = twice_area(poly), B = boundary_points(poly);
    ll interior = (A2 - B + 2) / 2;  // Pick: A = I + B/2 - 1
    cout << "polygon twice area " << A2 << ", boundary " << B << ", interior (Pick) " << interior << '\n';
    ll brute = 0;
    for (ll x = 0; x <= 10; ++x)
        for (ll y = 0; y <= 10; ++y) brute += point_in_polygon(poly, {x, y}) == 1;
    cout << "interior by brute force " << brute << '\n';
    assert(brute == interior);
    for (P q : vector<P>{{5, 2}, {5, 6}, {10, 5}, {2, 9}, {11, 1}})
        cout << "point (" << q.x << "," << q.y << ") -> " << point_in_polygon(poly, q) << '\n';

    cout << "segments: " << segments_intersect({0, 0}, {4, 4}, {0, 4}, {4, 0}) << segments_intersect({0, 0}, {2, 2}, {3, 3}, {5, 5})
         << segments_intersect({0, 0}, {2, 2}, {2, 2}, {5, 0}) << segments_intersect({0, 0}, {4, 0}, {1, 0}, {3, 0})
         << segments_intersect({0, 0}, {1, 1}, {0, 1}, {-1, 5}) << '\n';

    // Random point cloud.
    uint64_t s = 0x2545F4914F6CDD1DULL;
    auto rnd = [&]() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 2685821657736338717ULL;
    };
    vector<P> cloud(20000);
    for (auto& p : cloud) {
        ll x = (ll)(rnd() % 2000001) - 1000000;
        ll y = (ll)(rnd() % 2000001) - 1000000;
        p = {x, y};
    }
    auto hull = convex_hull(cloud);
    cout << "cloud hull: " << hull.size() << " vertices, twice area " << twice_area(hull) << '\n';
    bool all_inside = true;
    for (auto& p : cloud) all_inside = all_inside && point_in_polygon(hull, p) >= 0;
    cout << "all points inside or on hull: " << (all_inside ? "yes" : "no") << '\n';
    ll d2 = diameter2(hull), d2b = 0;
    for (size_t i = 0; i < hull.size(); ++i)
        for (size_t j = i + 1; j < hull.size(); ++j) d2b = max(d2b, dist2(hull[i], hull[j]));
    cout << "diameter^2 calipers " << d2 << ", brute " << d2b << '\n';
    assert(d2 == d2b);

    vector<P> pts(cloud.begin(), cloud.begin() + 3000);
    ll cb = LLONG_MAX;
    for (size_t i = 0; i < pts.size(); ++i)
        for (size_t j = i + 1; j < pts.size(); ++j) cb = min(cb, dist2(pts[i], pts[j]));
    sort(pts.begin(), pts.end());
    ll cd = closest_rec(pts, 0, pts.size());
    cout << "closest pair among 3000: squared distance " << cd << " (brute " << cb << ")\n";
    assert(cd == cb);
    sort(cloud.begin(), cloud.end());
    cout << "closest pair among 20000: squared distance " << closest_rec(cloud, 0, cloud.size()) << '\n';
    return 0;
}
