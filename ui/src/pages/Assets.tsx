// /assets: the asset graph, or the asset catalog with ?view=catalog.
import { useSearchParams } from "react-router";
import { AssetCatalogPage } from "./AssetCatalog";
import { AssetGraphPage } from "./AssetGraph";

export function AssetsPage() {
  const [params] = useSearchParams();
  return params.get("view") === "catalog" ? <AssetCatalogPage /> : <AssetGraphPage />;
}
