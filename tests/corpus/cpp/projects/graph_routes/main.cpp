#include <cstdio>
#include <limits>

#include "graph.h"

int main() {
    int nodes, edges;
    if (std::scanf("%d %d", &nodes, &edges) != 2) return 1;
    Graph graph = read_graph(nodes, edges);
    std::vector<long long> distance = shortest_paths(graph, 0);
    for (int node = 0; node < nodes; node++) {
        if (distance[node] == std::numeric_limits<long long>::max())
            std::printf("%d: unreachable\n", node);
        else
            std::printf("%d: %lld\n", node, distance[node]);
    }
}
