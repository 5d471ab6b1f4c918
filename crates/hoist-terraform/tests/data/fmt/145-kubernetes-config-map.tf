resource "kubernetes_config_map" "r24" {
  metadata { name="cfg" }
  data={ key="value" }
}
