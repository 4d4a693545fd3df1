
BlogitsJ((V¿¿Êg¿•í¾¼JG?o‹®¾'rÃ>Øÿ>Uo}½c.½*H>