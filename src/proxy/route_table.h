#pragma once
// RouteTable: finds the route for a request, as Pomerium's generated Envoy virtual hosts do.
// Routes whose `from` host is exact come first (in file order), then wildcard hosts (in file
// order); within those, the first route whose path matcher accepts the path wins.

#include <string_view>
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
  std::vector<const config::Route*> exact_;
  std::vector<const config::Route*> wildcard_;
};

// Host and path matching of one route, exposed for tests.
bool host_matches(const config::Route& route, std::string_view host_lower, std::uint16_t port,
                  bool has_port);
bool path_matches(const config::Route& route, std::string_view path);

}  // namespace portcullis::proxy
