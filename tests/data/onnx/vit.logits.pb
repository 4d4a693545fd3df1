
BlogitsJ(ƒòg>Dœö¿í1À¿º}×¿OA ?R!À¡ÀxDÚ¾gšV¿UÉ=