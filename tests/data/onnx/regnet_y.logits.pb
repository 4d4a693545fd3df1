
BlogitsJ(Ίk-?9iT@Ξp
@πι£Ώ^ΗWΏNΐΓ?Ύ·SQΏ»¤κ?ΌΆR@