#pragma once
#include <vector>

struct Edge {
    int to;
    long long weight;
};

using Graph = std::vector<std::vector<Edge>>;

Graph read_graph(int nodes, int edges);
std::vector<long long> shortest_paths(const Graph& graph, int source);
