#include <cstdio>

#include "graph.h"

Graph read_graph(int nodes, int edges) {
    Graph graph(nodes);
    for (int i = 0; i < edges; i++) {
        int from, to;
        long long weight;
        if (std::scanf("%d %d %lld", &from, &to, &weight) != 3) break;
        graph[from].push_back({to, weight});
        graph[to].push_back({from, weight});
    }
    return graph;
}
