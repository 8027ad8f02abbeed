// C's rand()/srand() with fixed seeds (the glibc TYPE_3 additive generator
// sequence), used the way many textbook programs do: printing raw values,
// generating test data with rand() % n, a randomized quicksort whose pivot
// comes from rand(), and randomized quickselect checked against std::sort.
#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <iostream>
#include <vector>

void quicksort(std::vector<int>& a, int lo, int hi, int& partitions) {
    while (lo < hi) {
        int p = lo + std::rand() % (hi - lo + 1);
        std::swap(a[p], a[hi]);
        int pivot = a[hi], i = lo;
        for (int j = lo; j < hi; ++j)
            if (a[j] < pivot) std::swap(a[i++], a[j]);
        std::swap(a[i], a[hi]);
        ++partitions;
        // Recurse into the smaller half, loop on the larger one.
        if (i - lo < hi - i) {
            quicksort(a, lo, i - 1, partitions);
            lo = i + 1;
        } else {
            quicksort(a, i + 1, hi, partitions);
            hi = i - 1;
        }
    }
}

int quickselect(std::vector<int> a, int k) {
    int lo = 0, hi = static_cast<int>(a.size()) - 1;
    while (true) {
        if (lo == hi) return a[lo];
        int p = lo + std::rand() % (hi - lo + 1);
        std::swap(a[p], a[hi]);
        int pivot = a[hi], i = lo;
        for (int j = lo; j < hi; ++j)
            if (a[j] < pivot) std::swap(a[i++], a[j]);
        std::swap(a[i], a[hi]);
        if (k == i) return a[i];
        if (k < i)
            hi = i - 1;
        else
            lo = i + 1;
    }
}

int main() {
    // Without srand the generator behaves as if srand(1) was called.
    std::cout << "default seed:";
    for (int i = 0; i < 5; ++i) std::cout << ' ' << std::rand();
    std::cout << '\n';

    std::srand(1);
    std::cout << "srand(1):    ";
    for (int i = 0; i < 5; ++i) std::cout << ' ' << std::rand();
    std::cout << '\n';

    std::srand(42);
    std::cout << "srand(42):   ";
    for (int i = 0; i < 5; ++i) std::cout << ' ' << std::rand();
    std::cout << '\n';

    std::srand(12345);
    std::cout << "dice (srand 12345):";
    int counts[7] = {0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 20; ++i) {
        int d = std::rand() % 6 + 1;
        std::cout << ' ' << d;
    }
    for (int i = 0; i < 60000; ++i) ++counts[std::rand() % 6 + 1];
    std::cout << "\nhistogram:";
    for (int f = 1; f <= 6; ++f) std::cout << ' ' << f << ':' << counts[f];
    std::cout << '\n';

    std::srand(2024);
    const int n = 200000;
    std::vector<int> data(n);
    for (int& x : data) x = std::rand() % 1000000;
    std::vector<int> expected = data;
    std::sort(expected.begin(), expected.end());

    int partitions = 0;
    quicksort(data, 0, n - 1, partitions);
    assert(data == expected);
    std::cout << "quicksort of " << n << " values matches std::sort: " << (data == expected ? "yes" : "no") << '\n';
    std::cout << "partition steps: " << partitions << '\n';
    std::cout << "min " << data.front() << " max " << data.back() << " median " << data[n / 2] << '\n';

    std::vector<int> fresh(5001);
    for (int& x : fresh) x = std::rand() % 100000 - 50000;
    std::vector<int> sorted = fresh;
    std::sort(sorted.begin(), sorted.end());
    for (int k : {0, 100, 2500, 4999, 5000}) {
        int v = quickselect(fresh, k);
        assert(v == sorted[k]);
        std::cout << "quickselect k=" << k << " -> " << v << '\n';
    }

    long long checksum = 0;
    std::srand(7);
    for (int i = 0; i < 1000; ++i) checksum = (checksum * 31 + std::rand()) % 1000000007LL;
    std::cout << "checksum of 1000 values after srand(7): " << checksum << '\n';
    return 0;
}
