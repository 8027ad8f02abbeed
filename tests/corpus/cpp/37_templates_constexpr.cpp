// Templates and compile-time programming: function and class templates,
// full and partial specialization, variadic templates with fold
// expressions, C++20 concepts and requires-clauses, CRTP, constexpr
// functions / constexpr tables / consteval, if constexpr, std::integer_sequence,
// type traits, and static_assert checks. Results are printed at run time.
#include <array>
#include <cassert>
#include <concepts>
#include <cstdint>
#include <iostream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

template <typename T>
T max_of(T a, T b) {
    return a < b ? b : a;
}

template <>
const char* max_of<const char*>(const char* a, const char* b) {
    return std::string(a) < std::string(b) ? b : a;
}

template <typename T>
struct TypeName {
    static std::string get() { return "unknown"; }
};
template <>
struct TypeName<int> {
    static std::string get() { return "int"; }
};
template <>
struct TypeName<double> {
    static std::string get() { return "double"; }
};
template <typename T>
struct TypeName<std::vector<T>> {
    static std::string get() { return "vector<" + TypeName<T>::get() + ">"; }
};
template <typename T>
struct TypeName<T*> {
    static std::string get() { return TypeName<T>::get() + "*"; }
};

template <typename... Args>
auto sum_all(Args... args) {
    return (args + ... + 0);
}

template <typename... Args>
void print_all(const Args&... args) {
    std::size_t i = 0;
    ((std::cout << (i++ ? ", " : "") << args), ...);
    std::cout << '\n';
}

template <typename T>
concept Numeric = std::integral<T> || std::floating_point<T>;

template <Numeric T>
T square(T x) {
    return x * x;
}

template <typename C>
    requires requires(C c) {
        c.begin();
        c.end();
        c.size();
    }
std::size_t count_elems(const C& c) {
    return c.size();
}

template <typename T>
std::string describe(const T& v) {
    if constexpr (std::is_integral_v<T>)
        return "integral " + std::to_string(v);
    else if constexpr (std::is_floating_point_v<T>)
        return "floating";
    else if constexpr (requires { v.size(); })
        return "sized container of " + std::to_string(v.size());
    else
        return "something else";
}

// CRTP: static polymorphism with a counter per derived class.
template <typename Derived>
struct Shape {
    long long area() const { return static_cast<const Derived*>(this)->area_impl(); }
    std::string name() const { return Derived::label; }
};
struct Square : Shape<Square> {
    static constexpr const char* label = "square";
    long long side;
    explicit Square(long long s) : side(s) {}
    long long area_impl() const { return side * side; }
};
struct RectS : Shape<RectS> {
    static constexpr const char* label = "rect";
    long long w, h;
    RectS(long long a, long long b) : w(a), h(b) {}
    long long area_impl() const { return w * h; }
};
template <typename D>
void report(const Shape<D>& s) {
    std::cout << s.name() << " area " << s.area() << '\n';
}

constexpr std::uint64_t factorial(int n) { return n <= 1 ? 1 : n * factorial(n - 1); }
consteval int fib_ce(int n) {
    int a = 0, b = 1;
    for (int i = 0; i < n; ++i) {
        int t = a + b;
        a = b;
        b = t;
    }
    return a;
}
constexpr auto make_squares() {
    std::array<int, 16> t{};
    for (int i = 0; i < 16; ++i) t[i] = i * i;
    return t;
}
constexpr auto squares_table = make_squares();
constexpr bool is_prime_ce(int n) {
    if (n < 2) return false;
    for (int d = 2; d * d <= n; ++d)
        if (n % d == 0) return false;
    return true;
}
template <int N>
constexpr int count_primes_below() {
    int c = 0;
    for (int i = 0; i < N; ++i) c += is_prime_ce(i);
    return c;
}

static_assert(factorial(20) == 2432902008176640000ULL);
static_assert(fib_ce(40) == 102334155);
static_assert(squares_table[15] == 225);
static_assert(count_primes_below<1000>() == 168);
static_assert(std::is_same_v<decltype(sum_all(1, 2L, 3LL)), long long>);
static_assert(Numeric<double> && !Numeric<std::string>);

template <std::size_t... Is>
constexpr std::array<std::size_t, sizeof...(Is)> doubled(std::index_sequence<Is...>) {
    return {(Is * 2)...};
}

template <typename Tuple, std::size_t... Is>
void print_tuple_impl(const Tuple& t, std::index_sequence<Is...>) {
    ((std::cout << (Is ? " | " : "") << std::get<Is>(t)), ...);
    std::cout << '\n';
}
template <typename... Ts>
void print_tuple(const std::tuple<Ts...>& t) {
    print_tuple_impl(t, std::index_sequence_for<Ts...>{});
}

template <int N>
struct Fib {
    static constexpr long long value = Fib<N - 1>::value + Fib<N - 2>::value;
};
template <>
struct Fib<0> {
    static constexpr long long value = 0;
};
template <>
struct Fib<1> {
    static constexpr long long value = 1;
};

int main() {
    std::cout << "max_of(3, 7) = " << max_of(3, 7) << ", max_of(2.5, -1.0) = " << max_of(2.5, -1.0)
              << ", max_of(\"pear\", \"apple\") = " << max_of<const char*>("pear", "apple") << '\n';
    std::cout << "type names: " << TypeName<int>::get() << ", " << TypeName<std::vector<std::vector<double>>>::get() << ", "
              << TypeName<int**>::get() << ", " << TypeName<char>::get() << '\n';
    std::cout << "sum_all(1..5) = " << sum_all(1, 2, 3, 4, 5) << ", sum_all() = " << sum_all() << '\n';
    print_all("mixed", 42, 'c', 2.5, std::string("end"));
    std::cout << "square(12) = " << square(12) << ", square(1.5) = " << square(1.5) << '\n';
    std::vector<int> v{1, 2, 3};
    std::cout << "count_elems(vector) = " << count_elems(v) << ", count_elems(string) = " << count_elems(std::string("hello"))
              << '\n';
    std::cout << describe(7) << " / " << describe(2.0) << " / " << describe(v) << " / " << describe(std::pair<int, int>{1, 2})
              << '\n';
    report(Square(12));
    report(RectS(3, 14));
    std::cout << "20! = " << factorial(20) << ", fib(40) = " << fib_ce(40) << ", Fib<80> = " << Fib<80>::value << '\n';
    std::cout << "primes below 1000 (compile time): " << count_primes_below<1000>() << '\n';
    std::cout << "squares table:";
    for (int s : squares_table) std::cout << ' ' << s;
    std::cout << '\n';
    constexpr auto d = doubled(std::make_index_sequence<6>{});
    std::cout << "doubled index sequence:";
    for (auto x : d) std::cout << ' ' << x;
    std::cout << '\n';
    print_tuple(std::make_tuple(1, "two", 3.5, std::string("four")));
    std::cout << "traits: " << std::is_trivially_copyable_v<Square> << std::is_polymorphic_v<Square>
              << std::is_base_of_v<Shape<Square>, Square> << std::is_convertible_v<int, double>
              << std::is_same_v<std::remove_cvref_t<const int&>, int> << '\n';
    return 0;
}
