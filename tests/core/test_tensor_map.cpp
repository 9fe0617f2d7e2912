#include <doctest/doctest.h>

#include "minnow/core/tensor_map.hpp"

using namespace minnow;

TEST_CASE("a TensorMap keeps insertion order and finds by name") {
  TensorMap map{{"b", Tensor(1.0f)}, {"a", Tensor(2.0f)}};
  map.insert_or_assign("c", Tensor(3.0f));
  CHECK(map.keys() == std::vector<std::string>{"b", "a", "c"});
  CHECK(map.at("a").item() == 2.0f);
  map.insert_or_assign("b", Tensor(5.0f));  // replaced in place
  CHECK(map.keys() == std::vector<std::string>{"b", "a", "c"});
  CHECK(map.at("b").item() == 5.0f);
  CHECK(map.find("zzz") == nullptr);
  CHECK_THROWS_WITH_AS(map.at("zzz"), doctest::Contains("\"zzz\""), KeyError);
  std::vector<std::string> seen;
  for (const auto& [name, tensor] : map) seen.push_back(name + "=" + std::to_string(tensor.item()));
  CHECK(seen.size() == 3);
  CHECK(map.erase("a"));
  CHECK_FALSE(map.erase("a"));
  CHECK(map.keys() == std::vector<std::string>{"b", "c"});
  CHECK(map.position("c") == 1);
}

TEST_CASE("copies share the key table until one of them changes its names") {
  TensorMap a{{"x", Tensor(1.0f)}, {"y", Tensor(2.0f)}};
  TensorMap b = a;
  CHECK(a.same_keys(b));
  b.at("x") = Tensor(7.0f);  // a value change keeps the table
  CHECK(a.same_keys(b));
  CHECK(a.at("x").item() == 1.0f);
  b.insert_or_assign("z", Tensor(3.0f));  // a new name copies the table
  CHECK_FALSE(a.same_keys(b));
  CHECK(a.size() == 2);
  CHECK(b.size() == 3);
  const TensorMap c(a.key_table(), {Tensor(4.0f), Tensor(5.0f)});
  CHECK(c.same_keys(a));
  CHECK(c.at("y").item() == 5.0f);
  CHECK_THROWS_AS(TensorMap(a.key_table(), {Tensor(1.0f)}), ValueError);
}
