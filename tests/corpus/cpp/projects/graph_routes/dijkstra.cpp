#include <functional>
#include <limits>
#include <queue>
#include <utility>

#include "graph.h"

std::vector<long long> shortest_paths(const Graph& graph, int source) {
    const long long unreachable = std::numeric_limits<long long>::max();
    std::vector<long long> distance(graph.size(), unreachable);
    using Entry = std::pair<long long, int>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue;
    distance[source] = 0;
    queue.push({0, source});
    while (!queue.empty()) {
        auto [d, node] = queue.top();
        queue.pop();
        if (d > distance[node]) continue;
        for (const Edge& edge : graph[node]) {
            if (d + edge.weight < distance[edge.to]) {
                distance[edge.to] = d + edge.weight;
                queue.push({distance[edge.to], edge.to});
            }
        }
    }
    return distance;
}
