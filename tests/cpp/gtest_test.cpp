#include <gtest/gtest.h>
#include <vector>

int add(int a, int b) { return a + b; }

TEST(Arithmetic, Adds) {
    EXPECT_EQ(add(2, 3), 5);
    EXPECT_EQ(add(-1, 1), 0);
}

TEST(Arithmetic, FailsWhenWrong) {
    EXPECT_EQ(add(2, 2), 5);
}

TEST(Containers, VectorsGrow) {
    std::vector<int> v;
    v.push_back(1);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0], 1);
}

TEST(Exceptions, ThrowsAreCaught) {
    EXPECT_THROW(throw std::runtime_error("x"), std::runtime_error);
    EXPECT_NO_THROW(add(1, 2));
}
