#pragma once
// RouteTable: finds the route for a request, as Pomerium's generated Envoy virtual hosts do.
// A host named exactly by some route is served by those routes only (in file order); other hosts
// by the wildcard routes (in file order). The first route whose path matcher accepts the path
// wins; none is a 404.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"

namespace portcullis::proxy {

class RouteTable {
 public:
  // Keeps pointers into `routes`: the vector must outlive the table (both live in one snapshot).
  explicit RouteTable(const std::vector<config::Route>& routes);

  // `host` is the Host header (or :authority) as sent, possibly with a port and in any case;
  // `path` is the normalised path without the query. nullptr when no route matches.
  const config::Route* match(std::string_view host, std::string_view path) const;

  // True when some route serves `host` (whatever the path): /ping, /healthz and the
  // /.pomerium endpoints answer on such hosts.
  bool knows_host(std::string_view host) const;

 private:
  struct Entry;
  // Hashes std::string keys and std::string_view probes alike, so lookups do not allocate.
  struct HostHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view host) const noexcept {
      return std::hash<std::string_view>{}(host);
    }
  };

  std::vector<const config::Route*> exact_;     // exact-host routes, file order
  std::vector<const config::Route*> wildcard_;  // wildcard-host routes, file order
  // Exact routes by normalised host (lower-case, no brackets, no trailing dot), file order.
  std::unordered_map<std::string, std::vector<const config::Route*>, HostHash, std::equal_to<>>
      exact_by_host_;
};

// Host and path matching of one route, exposed for tests. `host_lower` is a Host header value
// reduced to its name: lower-case, without port, IPv6 brackets or trailing dot. `port` counts
// only when `has_port`.
bool host_matches(const config::Route& route, std::string_view host_lower, std::uint16_t port,
                  bool has_port);
bool path_matches(const config::Route& route, std::string_view path);

}  // namespace portcullis::proxy
